import { describeAsRoot } from '@app/kernel/testing';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { useNetd } from '../testing/netd-suite';

const FIXTURES = join(__dirname, '../../../../libs/api/src/containers/__fixtures__');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const SUBNET = '10.247.0';

/** A cgroup v1 file of a running container, through its own /proc entry (whatever the parent). */
function cgroupFile(pid: number, controller: string, file: string): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
  if (!line) throw new Error(`no ${controller} cgroup for ${pid}`);
  return readFileSync(join('/sys/fs/cgroup', controller, line.split(':')[2], file), 'utf8').trim();
}

describeAsRoot('container create against a real daemon: checked at create, honoured at start', () => {
  const daemon = useNetd({ bridge: 'ncv0' });
  const { call } = daemon;

  async function run(body: object): Promise<{ id: string; pid: number }> {
    const id = await daemon.runContainer({ Cmd: ['sleep', '600'], ...body });
    const inspect = (await call('GET', `/containers/${id}/json`)).body;
    return { id, pid: inspect.State.Pid };
  }

  beforeAll(async () => {
    expect((await call('POST', '/networks/create', { Name: 'n', IPAM: { Config: [{ Subnet: `${SUBNET}.0/24` }] } })).status).toBe(201);
  });

  it('accepts the exact bodies the docker 28 CLI sends for create and run --network', async () => {
    for (const name of ['docker-create-1.47.json', 'docker-create-1.41.json', 'docker-run-network-1.47.json']) {
      const res = await call('POST', '/containers/create', fixture(name));
      expect({ name, status: res.status, body: res.body }).toMatchObject({ name, status: 201, body: { Warnings: [] } });
    }
  });

  it('refuses at create, with nothing left behind, what runc or the kernel would refuse at start', async () => {
    const holder = await run({ HostConfig: { NetworkMode: 'n' }, NetworkingConfig: { EndpointsConfig: { n: { IPAMConfig: { IPv4Address: `${SUBNET}.9` } } } } });
    const before = (await call('GET', '/containers/json?all=1')).body.length;
    const onN = (ec: object) => ({ HostConfig: { NetworkMode: 'n' }, NetworkingConfig: { EndpointsConfig: { n: ec } } });
    const cases: [string, object, number, string][] = [
      ['Cmd: 5', { Cmd: 5 }, 400, 'Cmd must be a string or an array of strings'],
      ['Env: {}', { Env: {} }, 400, 'Env must be an array of strings'],
      ['User: 5', { User: 5 }, 400, 'User must be a string'],
      ['NetworkMode: 5', { HostConfig: { NetworkMode: 5 } }, 400, 'HostConfig.NetworkMode must be a string'],
      ['PortBindings {"80/tcp": 5}', { HostConfig: { PortBindings: { '80/tcp': 5 } } }, 400, 'HostConfig.PortBindings["80/tcp"] must be an array of port bindings'],
      ['Dns: "x"', { HostConfig: { Dns: 'x' } }, 400, 'HostConfig.Dns must be an array of strings'],
      ['CapAdd: [5]', { HostConfig: { CapAdd: [5] } }, 400, 'HostConfig.CapAdd must be an array of strings'],
      ['a label named constructor in an unknown field', { Bogus: { constructor: 'x' }, WorkingDir: 'rel' }, 400, "the working directory 'rel' is invalid, it needs to be an absolute path"],
      ['Env with NUL', { Env: ['A=1\u0000'] }, 400, 'invalid environment variable: "A=1\\u0000"'],
      ['Cmd with NUL', { Cmd: ['echo', 'a\u0000'] }, 400, 'invalid Cmd: an argument contains a NUL byte'],
      ['a relative WorkingDir', { WorkingDir: 'rel' }, 400, "the working directory 'rel' is invalid, it needs to be an absolute path"],
      ['a host sysctl', { HostConfig: { Sysctls: { 'kernel.pid_max': '100' } } }, 400, "sysctl 'kernel.pid_max' is not allowed: it is not in a separate kernel namespace of the container"],
      ['the network address', onN({ IPAMConfig: { IPv4Address: `${SUBNET}.0` } }), 400, `Invalid address ${SUBNET}.0: it is the network address of ${SUBNET}.0/24`],
      ['the broadcast address', onN({ IPAMConfig: { IPv4Address: `${SUBNET}.255` } }), 400, `Invalid address ${SUBNET}.255: it is the broadcast address of ${SUBNET}.0/24`],
      ['an address a running container holds', onN({ IPAMConfig: { IPv4Address: `${SUBNET}.9` } }), 409, `Address already in use: ${SUBNET}.9 is already allocated in ${SUBNET}.0/24`],
      ['an address outside the subnet', onN({ IPAMConfig: { IPv4Address: '10.246.0.5' } }), 400, "Invalid address 10.246.0.5: It does not belong to any of this network's subnets."],
      ['a multicast MAC', onN({ MacAddress: '01:00:5e:00:00:01' }), 400, 'invalid MAC address: 01:00:5e:00:00:01 is a multicast address'],
      ['MacAddress zz', onN({ MacAddress: 'zz' }), 400, 'invalid MAC address: zz'],
      ['DnsSearch with a newline', { HostConfig: { DnsSearch: ['a\nnameserver 1.2.3.4'] } }, 400, 'a\nnameserver 1.2.3.4 is not a valid domain'],
      ['DnsOptions garbage', { HostConfig: { DnsOptions: ['a b'] } }, 400, 'invalid DNS option: "a b"'],
      ['Dns garbage', { HostConfig: { Dns: ['x'] } }, 400, 'x is not an ip address'],
      ['ExtraHosts garbage', { HostConfig: { ExtraHosts: ['x'] } }, 400, 'bad format for add-host: "x"'],
      ['StopSignal SIGFOO', { StopSignal: 'SIGFOO' }, 400, 'Invalid signal: SIGFOO'],
      ['a bad RestartPolicy', { HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, 400, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"],
      ['a bad port', { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } }, 400, 'invalid port specification: "99999"'],
      ['a bad Hostname', { Hostname: '-bad-' }, 400, 'invalid hostname format: -bad-'],
      ['Privileged', { HostConfig: { Privileged: true } }, 501, 'HostConfig.Privileged is not supported by netd'],
      ['a bad Binds mode', { HostConfig: { Binds: ['/tmp:/t:xx'] } }, 400, 'invalid mode: xx'],
      ['Memory under 6MB', { HostConfig: { Memory: 1000 } }, 400, 'Minimum memory limit allowed is 6MB'],
      ['a CPU the host lacks', { HostConfig: { CpusetCpus: '0-99' } }, 400, expect.stringMatching(/^Requested CPUs are not available - requested 0-99, available: /) as unknown as string],
    ];
    const got = [];
    for (const [name, body] of cases) {
      const res = await call('POST', '/containers/create', { Image: 'busybox', ...body });
      got.push({ name, status: res.status, message: (res.body as { message?: string })?.message });
    }
    expect(got).toEqual(cases.map(([name, , status, message]) => ({ name, status, message })));
    expect((await call('GET', '/containers/json?all=1')).body.length).toBe(before);
    expect((await call('GET', `/containers/${holder.id}/json`)).body.State.Running).toBe(true);
  });

  it('applies memory, CPU, cpuset, pids, OOM score and /dev/shm limits to the running container', async () => {
    const c = await run({
      HostConfig: { Memory: 64 << 20, MemorySwap: 96 << 20, MemoryReservation: 32 << 20, NanoCpus: 500_000_000, CpuShares: 512, CpusetCpus: '0', PidsLimit: 50, OomScoreAdj: 100, ShmSize: 8 << 20 },
    });
    expect({
      memory: cgroupFile(c.pid, 'memory', 'memory.limit_in_bytes'),
      memsw: cgroupFile(c.pid, 'memory', 'memory.memsw.limit_in_bytes'),
      soft: cgroupFile(c.pid, 'memory', 'memory.soft_limit_in_bytes'),
      quota: cgroupFile(c.pid, 'cpu', 'cpu.cfs_quota_us'),
      period: cgroupFile(c.pid, 'cpu', 'cpu.cfs_period_us'),
      shares: cgroupFile(c.pid, 'cpu', 'cpu.shares'),
      cpuset: cgroupFile(c.pid, 'cpuset', 'cpuset.cpus'),
      pids: cgroupFile(c.pid, 'pids', 'pids.max'),
      oom: readFileSync(`/proc/${c.pid}/oom_score_adj`, 'utf8').trim(),
      shm: readFileSync(`/proc/${c.pid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === '/dev/shm')?.match(/size=(\d+k)/)?.[1],
    }).toEqual({
      memory: String(64 << 20), memsw: String(96 << 20), soft: String(32 << 20), quota: '50000', period: '100000', shares: '512', cpuset: '0', pids: '50', oom: '100', shm: '8192k',
    });
    expect((await call('GET', `/containers/${c.id}/json`)).body.HostConfig).toMatchObject({
      Memory: 64 << 20, MemorySwap: 96 << 20, MemoryReservation: 32 << 20, NanoCpus: 500_000_000, CpuShares: 512, CpusetCpus: '0', PidsLimit: 50, OomScoreAdj: 100, ShmSize: 8 << 20,
    });
    // Docker's default swap limit is twice the memory limit
    const d = await run({ HostConfig: { Memory: 16 << 20 } });
    expect(cgroupFile(d.pid, 'memory', 'memory.memsw.limit_in_bytes')).toBe(String(32 << 20));
  });

  it('runs --pid host in the host PID namespace, and other containers in their own; --cgroupns private gets its own', async () => {
    const shared = await run({ HostConfig: { PidMode: 'host' } });
    const cgroupns = await run({ HostConfig: { CgroupnsMode: 'private' } });
    expect(readlinkSync(`/proc/${cgroupns.pid}/ns/cgroup`)).not.toBe(readlinkSync('/proc/self/ns/cgroup'));
    expect(readlinkSync(`/proc/${shared.pid}/ns/cgroup`)).toBe(readlinkSync('/proc/self/ns/cgroup'));
    const own = await run({});
    expect(readlinkSync(`/proc/${shared.pid}/ns/pid`)).toBe(readlinkSync('/proc/self/ns/pid'));
    expect((await call('GET', `/containers/${shared.id}/json`)).body.HostConfig.PidMode).toBe('host');
    expect(readlinkSync(`/proc/${own.pid}/ns/pid`)).not.toBe(readlinkSync('/proc/self/ns/pid'));
    // the host's processes are visible from inside
    expect(existsSync(`/proc/${shared.pid}/root/proc/1`) && readdirSync(`/proc/${shared.pid}/root/proc`).includes(String(process.pid))).toBe(true);
  });
});
