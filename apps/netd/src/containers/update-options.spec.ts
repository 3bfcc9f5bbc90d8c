import { INITIAL_STATE, type ContainerRecord, type HostLimits } from '@app/container';
import { parseUpdate } from './update-options';
import { parsePsOutput } from './top';

const HOST: HostLimits = { cgroupMode: 'hybrid', cpus: new Set([0, 1]), mems: new Set([0]), swapLimit: true };
const ID = 'a'.repeat(64);
const rec = (spec: Partial<ContainerRecord['spec']> = {}): ContainerRecord => ({
  id: ID, name: '/web', created: '', hostname: 'h', state: INITIAL_STATE, restartCount: 0, manuallyStopped: false,
  networkFiles: { addresses: [], links: [], embeddedDns: false },
  spec: { lowers: ['/l'], cmd: ['sh'], network: { kind: 'host' }, ...spec },
});

/** The body `docker update --memory 64m --restart always` sends (docker 20.10, API 1.41): every field, zero-valued. */
const CLI_BODY = {
  BlkioWeight: 0, BlkioWeightDevice: null, BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null,
  CpuShares: 0, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '', Devices: null,
  DeviceCgroupRules: null, DeviceRequests: null, KernelMemory: 0, KernelMemoryTCP: 0, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null,
  NanoCpus: 0, OomKillDisable: null, PidsLimit: null, Ulimits: null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
  Memory: 67108864, RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
};

describe(parseUpdate.name, () => {
  it('reads the docker CLI body: zero values leave a field as it is', () => {
    expect(parseUpdate(CLI_BODY, rec(), HOST)).toEqual({ resources: { memory: 64 << 20 }, restartPolicy: { name: 'always', maximumRetryCount: 0 } });
    expect(parseUpdate({}, rec(), HOST)).toEqual({});
  });

  it.each([
    { name: 'cpus, shares, pids and cpuset', body: { NanoCpus: 5e8, CpuShares: 512, PidsLimit: 20, CpusetCpus: '0-1' }, want: { nanoCpus: 5e8, cpuShares: 512, pidsLimit: 20, cpusetCpus: '0-1' } },
    { name: 'quota and period', body: { CpuQuota: 50000, CpuPeriod: 100000 }, want: { cpuQuota: 50000, cpuPeriod: 100000 } },
    { name: 'memory with swap', body: { Memory: 64 << 20, MemorySwap: 128 << 20 }, want: { memory: 64 << 20, memorySwap: 128 << 20 } },
    { name: 'an unlimited pids limit', body: { PidsLimit: -1 }, want: { pidsLimit: -1 } },
  ])('takes $name', ({ body, want }) => {
    expect(parseUpdate(body, rec(), HOST).resources).toEqual(want);
  });

  it.each([
    { name: 'memory under 6MB', body: { Memory: 1024 }, kind: 'invalid-parameter', message: 'Minimum memory limit allowed is 6MB' },
    { name: 'swap under memory', body: { Memory: 64 << 20, MemorySwap: 32 << 20 }, kind: 'invalid-parameter', message: 'Minimum memoryswap limit should be larger than memory limit, see usage' },
    { name: 'memory over the swap already set', body: { Memory: 512 << 20 }, spec: { resources: { memory: 64 << 20, memorySwap: 128 << 20 } }, kind: 'invalid-parameter', message: `Cannot update container ${ID}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time` },
    { name: 'NanoCpus over a quota set', body: { NanoCpus: 1e9 }, spec: { resources: { cpuQuota: 50000 } }, kind: 'invalid-parameter', message: `Cannot update container ${ID}: Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set` },
    { name: 'too many CPUs', body: { NanoCpus: 4e9 }, kind: 'invalid-parameter', message: 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available' },
    { name: 'a cpuset not available', body: { CpusetCpus: '0-7' }, kind: 'invalid-parameter', message: 'Requested CPUs are not available - requested 0-7, available: 0-1' },
    { name: 'a blkio weight', body: { BlkioWeight: 300 }, kind: 'not-implemented', message: 'BlkioWeight cannot be updated by netd' },
    { name: 'kernel memory', body: { KernelMemory: 1 << 30 }, kind: 'not-implemented', message: 'KernelMemory cannot be updated by netd' },
    { name: 'a Windows field', body: { CpuCount: 2 }, kind: 'invalid-parameter', message: 'invalid option: CpuCount is Windows only' },
    { name: 'an unknown field', body: { Bogus: 1 }, kind: 'invalid-parameter', message: 'invalid update config: unknown field "Bogus"' },
    { name: 'a wrong type', body: { Memory: '1g' }, kind: 'invalid-parameter', message: 'invalid update config: Memory must be an integer' },
    { name: 'an array', body: [], kind: 'invalid-parameter', message: 'invalid update config: expected a JSON object' },
    { name: 'an unknown policy', body: { RestartPolicy: { Name: 'sometimes' } }, kind: 'invalid-parameter', message: /unknown policy 'sometimes'/ },
    { name: 'a policy on an --rm container', body: { RestartPolicy: { Name: 'always' } }, spec: { autoRemove: true }, kind: 'invalid-parameter', message: `Cannot update container ${ID}: Restart policy cannot be updated because AutoRemove is enabled for the container` },
  ])('refuses $name', ({ body, spec, kind, message }) => {
    let err: unknown;
    try {
      parseUpdate(body, rec(spec), HOST);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ kind, message });
  });
});

describe(parsePsOutput.name, () => {
  const PS = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 10:00 ?        00:00:01 /sbin/init',
    'root        4242    4200  0 10:01 ?        00:00:00 sleep 1000',
    'root        4250    4242  0 10:01 ?        00:00:00 sh -c echo a b',
    '',
  ].join('\n');

  it("keeps the container's lines, the command with its spaces in the last column", () => {
    expect(parsePsOutput(PS, [4242, 4250])).toEqual({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '4242', '4200', '0', '10:01', '?', '00:00:00', 'sleep 1000'],
        ['root', '4250', '4242', '0', '10:01', '?', '00:00:00', 'sh -c echo a b'],
      ],
    });
  });

  it('keeps thread lines (ps -m) after a kept process only', () => {
    const out = parsePsOutput('PID TTY TIME CMD\n1 ? 0 init\n- - 0 -\n7 ? 0 sleep\n- - 0 -\n', [7]);
    expect(out.Processes).toEqual([['7', '?', '0', 'sleep'], ['-', '-', '0', '-']]);
  });

  it('fails without a PID column', () => {
    expect(() => parsePsOutput('USER CMD\nroot x\n', [1])).toThrow("Couldn't find PID field in ps output");
  });
});
