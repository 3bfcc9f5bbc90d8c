import { INITIAL_STATE, type ContainerRecord, type HostLimits } from '@app/container';
import { parseUpdate } from './update-options';
import { parsePsOutput } from './top';
import { statsJson } from './stats';

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

describe('statsJson', () => {
  const r = rec();
  const sample = {
    read: new Date('2026-01-01T00:00:01.000Z'),
    cpu: { total: 5e8, perCpu: [3e8, 2e8], kernel: 1e8, user: 4e8, system: 9e12, onlineCpus: 2, periods: 0, throttledPeriods: 0, throttledTime: 0 },
    memory: { usage: 4 << 20, maxUsage: 5 << 20, limit: 64 << 20, failcnt: 0, stats: { cache: 1024 } },
    pids: { current: 1 },
    blkio: { serviceBytes: [], serviced: [] },
    networks: { eth0: { rx_bytes: 1, rx_packets: 1, rx_errors: 0, rx_dropped: 0, tx_bytes: 2, tx_packets: 1, tx_errors: 0, tx_dropped: 0 } },
  };

  it("gives Docker's shape: cpu with precpu, memory, pids, networks, empty blkio lists as null", () => {
    const j = statsJson(r, sample, { ...sample, read: new Date('2026-01-01T00:00:00.000Z') });
    expect(j).toMatchObject({
      read: '2026-01-01T00:00:01.000Z', preread: '2026-01-01T00:00:00.000Z', name: '/web', id: ID, num_procs: 0, storage_stats: {},
      pids_stats: { current: 1 },
      cpu_stats: { cpu_usage: { total_usage: 5e8, percpu_usage: [3e8, 2e8], usage_in_kernelmode: 1e8, usage_in_usermode: 4e8 }, system_cpu_usage: 9e12, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 5e8 } },
      memory_stats: { usage: 4 << 20, max_usage: 5 << 20, stats: { cache: 1024 }, limit: 64 << 20 },
      networks: { eth0: { rx_bytes: 1, tx_bytes: 2 } },
    });
    expect(j.blkio_stats.io_service_bytes_recursive).toBeNull();
    expect('failcnt' in j.memory_stats).toBe(false);
  });

  it("gives Docker's empty stats for a container that is not running", () => {
    const j = statsJson(r, undefined, undefined);
    expect(j).toEqual(expect.objectContaining({ read: '0001-01-01T00:00:00Z', pids_stats: {}, memory_stats: {}, name: '/web', id: ID }));
    expect(j.precpu_stats).toEqual({ cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } });
  });
});
