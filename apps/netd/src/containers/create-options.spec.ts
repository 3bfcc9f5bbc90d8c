import { ContainerCreateDto, HostConfigDto } from '@app/api/containers';
import type { HostLimits } from '@app/container';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBody } from '../http/parse-body';
import { checkConfigValues } from './config-values';
import { checkConfigOptions, hostOptions } from './create-options';

const FIXTURES = join(__dirname, '../../../../libs/api/src/containers/__fixtures__');
const fixture = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const HOST: HostLimits = { cgroupMode: 'hybrid', cpus: new Set([0, 1]), mems: new Set([0]), swapLimit: true };

/** Everything create checks before it looks anything up, as the service runs it. */
function check(body: unknown, host = HOST) {
  const req = parseBody(ContainerCreateDto, body);
  checkConfigOptions(req);
  const opts = hostOptions(req.HostConfig ?? new HostConfigDto(), host);
  checkConfigValues(req, { hostNetwork: req.HostConfig?.NetworkMode === 'host', privateIpc: true });
  return { req, opts };
}

const errorOf = (body: unknown): { kind?: string; message?: string } => {
  try {
    check(body);
  } catch (e) {
    return { kind: (e as { kind?: string }).kind, message: (e as Error).message };
  }
  return {};
};

const hc = (HostConfig: object) => ({ Image: 'busybox', HostConfig });

describe('container create validation', () => {
  it.each(['docker-create-1.47.json', 'docker-create-1.41.json', 'docker-run-network-1.47.json', 'docker-run-rm-publish-tty-1.47.json'])(
    'accepts the body the docker 28 CLI sends: %s',
    (name) => {
      const { opts } = check(fixture(name));
      expect(opts).toEqual({ resources: undefined, pidHost: false, cgroupns: undefined, shmSizeBytes: undefined, oomScoreAdj: undefined, consoleSize: undefined, warnings: [] });
    },
  );

  it('ignores unknown fields, as dockerd does, and keeps labels named like Object.prototype members', () => {
    const { req } = check({ Image: 'busybox', Bogus: { constructor: 'x' }, HostConfig: { Nope: 1 }, Labels: { constructor: 'a', toString: 'b', __proto__x: 'c' } });
    expect({ ...req.Labels }).toEqual({ constructor: 'a', toString: 'b', __proto__x: 'c' });
    expect(Object.getPrototypeOf(req.Labels)).toBeNull();
  });

  // A: a wrong JSON type is a 400 naming the field (it was a TypeError, a 500)
  it.each([
    ['Cmd: 5', { Cmd: 5 }, 'Cmd must be a string or an array of strings'],
    ['Cmd: [5, 6]', { Cmd: [5, 6] }, 'Cmd must be a string or an array of strings'],
    ['Entrypoint: {}', { Entrypoint: {} }, 'Entrypoint must be a string or an array of strings'],
    ['Env: {}', { Env: {} }, 'Env must be an array of strings'],
    ['Env: [5]', { Env: [5] }, 'Env must be an array of strings'],
    ['User: 5', { User: 5 }, 'User must be a string'],
    ['Image: 5', { Image: 5 }, 'config cannot be empty in order to create a container; config cannot be empty in order to create a container'],
    ['Labels: [1]', { Labels: [1] }, 'Labels must be an object of strings'],
    ['Labels: {a: 1}', { Labels: { a: 1 } }, 'Labels must be an object of strings'],
    ['ExposedPorts: {"80/tcp": 5}', { ExposedPorts: { '80/tcp': 5 } }, 'ExposedPorts must be an object of objects'],
    ['Tty: "yes"', { Tty: 'yes' }, 'Tty must be a boolean value'],
    ['StopTimeout: "5"', { StopTimeout: '5' }, 'StopTimeout must be an integer number'],
    ['HostConfig: 5', { HostConfig: 5 }, 'HostConfig must be an object; nested property HostConfig must be either object or array'],
    ['HostConfig.NetworkMode: 5', { HostConfig: { NetworkMode: 5 } }, 'HostConfig.NetworkMode must be a string'],
    ['HostConfig.PortBindings: {"80/tcp": 5}', { HostConfig: { PortBindings: { '80/tcp': 5 } } }, 'HostConfig.PortBindings["80/tcp"] must be an array of port bindings'],
    ['HostConfig.PortBindings: {"80/tcp": [5]}', { HostConfig: { PortBindings: { '80/tcp': [5] } } }, 'HostConfig.PortBindings["80/tcp"] must be an array of port bindings'],
    ['HostConfig.PortBindings: {"80/tcp": [{HostPort: 80}]}', { HostConfig: { PortBindings: { '80/tcp': [{ HostPort: 80 }] } } }, 'HostConfig.PortBindings.80/tcp.0.HostPort must be shorter than or equal to 16 characters; HostConfig.PortBindings.80/tcp.0.HostPort must be a string'],
    ['HostConfig.Dns: "x"', { HostConfig: { Dns: 'x' } }, 'HostConfig.Dns must be an array of strings'],
    ['HostConfig.CapAdd: [5]', { HostConfig: { CapAdd: [5] } }, 'HostConfig.CapAdd must be an array of strings'],
    ['HostConfig.RestartPolicy: "always"', { HostConfig: { RestartPolicy: 'always' } }, 'HostConfig.RestartPolicy must be an object; HostConfig.nested property RestartPolicy must be either object or array'],
    ['HostConfig.RestartPolicy.MaximumRetryCount: "3"', { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: '3' } } }, 'HostConfig.RestartPolicy.MaximumRetryCount must be an integer number'],
    ['HostConfig.Memory: "1g"', { HostConfig: { Memory: '1g' } }, 'HostConfig.Memory must be an integer number'],
    ['HostConfig.Memory: 1.5', { HostConfig: { Memory: 1.5 } }, 'HostConfig.Memory must be an integer number'],
    ['HostConfig.Sysctls: {a: 1}', { HostConfig: { Sysctls: { 'net.x': 1 } } }, 'HostConfig.Sysctls must be an object of strings'],
    ['HostConfig.Privileged: "true"', { HostConfig: { Privileged: 'true' } }, 'HostConfig.Privileged must be a boolean value'],
    ['NetworkingConfig.EndpointsConfig: []', { NetworkingConfig: { EndpointsConfig: [] } }, 'NetworkingConfig.EndpointsConfig must be an object of endpoint settings'],
    ['NetworkingConfig.EndpointsConfig.n: 5', { NetworkingConfig: { EndpointsConfig: { n: 5 } } }, 'NetworkingConfig.EndpointsConfig["n"] must be endpoint settings'],
    ['NetworkingConfig.EndpointsConfig.n.Aliases: "a"', { NetworkingConfig: { EndpointsConfig: { n: { Aliases: 'a' } } } }, 'NetworkingConfig.EndpointsConfig.n.Aliases must contain no more than 64 elements; NetworkingConfig.EndpointsConfig.n.Aliases must be an array'],
  ])('refuses a wrong type with 400: %s', (_name, body, message) => {
    expect(errorOf({ Image: 'busybox', ...body })).toEqual({ kind: 'invalid-parameter', message });
  });

  // B: values runc or the kernel would refuse at start
  it.each([
    ['an argument with NUL', { Cmd: ['echo', 'a\u0000b'] }, 'invalid Cmd: an argument contains a NUL byte'],
    ['Env with NUL', { Env: ['A=1\u0000'] }, 'invalid environment variable: "A=1\\u0000"'],
    ['Env without a name', { Env: ['=x'] }, 'invalid environment variable: "=x"'],
    ['a relative WorkingDir', { WorkingDir: 'rel' }, "the working directory 'rel' is invalid, it needs to be an absolute path"],
    ['a bad Hostname', { Hostname: 'a_b!' }, 'invalid hostname format: a_b!'],
    ['a Hostname with a newline', { Hostname: 'a\nb' }, 'invalid hostname format: a\nb'],
    ['a bad Domainname', { Domainname: 'x y' }, 'invalid domainname format: x y'],
    ['StopSignal SIGFOO', { StopSignal: 'SIGFOO' }, 'Invalid signal: SIGFOO'],
    ['StopSignal 0', { StopSignal: '0' }, 'Invalid signal: 0'],
    ['a restart policy name', { HostConfig: { RestartPolicy: { Name: 'sometimes' } } }, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'"],
    ['a negative retry count', { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -1 } } }, 'invalid restart policy: maximum retry count must be a positive integer'],
    ['a retry count with always', { HostConfig: { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } } }, "invalid restart policy: maximum retry count can only be used with 'on-failure'"],
    ['Dns that is no address', { HostConfig: { Dns: ['x'] } }, 'x is not an ip address'],
    ['Dns with a newline', { HostConfig: { Dns: ['1.1.1.1\nnameserver 9.9.9.9'] } }, '1.1.1.1\nnameserver 9.9.9.9 is not an ip address'],
    ['DnsSearch with a newline', { HostConfig: { DnsSearch: ['a.b\nnameserver 1.2.3.4'] } }, 'a.b\nnameserver 1.2.3.4 is not a valid domain'],
    ['DnsSearch garbage', { HostConfig: { DnsSearch: ['-x-'] } }, '-x- is not a valid domain'],
    ['DnsOptions with a newline', { HostConfig: { DnsOptions: ['ndots:1\nnameserver 1.2.3.4'] } }, 'invalid DNS option: "ndots:1\\nnameserver 1.2.3.4"'],
    ['ExtraHosts garbage', { HostConfig: { ExtraHosts: ['nocolon'] } }, 'bad format for add-host: "nocolon"'],
    ['ExtraHosts bad address', { HostConfig: { ExtraHosts: ['h:1.2.3'] } }, 'invalid IP address in add-host: "1.2.3"'],
    ['ExtraHosts bad name', { HostConfig: { ExtraHosts: ['a b:1.2.3.4'] } }, 'invalid hostname in add-host: "a b"'],
    ['a host sysctl', { HostConfig: { Sysctls: { 'kernel.pid_max': '100' } } }, "sysctl 'kernel.pid_max' is not allowed: it is not in a separate kernel namespace of the container"],
    ['a made-up IPC sysctl', { HostConfig: { Sysctls: { 'kernel.msgfoo': '1' } } }, "sysctl 'kernel.msgfoo' is not allowed: it is not in a separate kernel namespace of the container"],
    ['a net sysctl on the host network', { HostConfig: { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } } }, "sysctl 'net.ipv4.ip_forward' is not allowed in host network mode"],
    ['a sysctl path', { HostConfig: { Sysctls: { 'net/../../x': '1' } } }, 'invalid sysctl name: "net/../../x"'],
    ['a sysctl value with a newline', { HostConfig: { Sysctls: { 'net.ipv4.ip_forward': '1\n' } } }, "invalid value for sysctl 'net.ipv4.ip_forward': \"1\\n\""],
  ])('refuses at create with 400: %s', (_name, body, message) => {
    expect(errorOf({ Image: 'busybox', ...body })).toEqual({ kind: 'invalid-parameter', message });
  });

  it.each([
    ['net.*', { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0' }],
    ['IPC namespace ones', { 'kernel.shmmax': '1000000', 'kernel.msgmax': '8192', 'kernel.sem': '250 32000 32 128', 'fs.mqueue.msg_max': '10' }],
  ])('accepts namespaced sysctls: %s', (_name, Sysctls) => {
    expect(errorOf(hc({ Sysctls }))).toEqual({});
  });

  it.each(['SIGUSR1', 'usr1', 'TERM', '9', 'SIGRTMIN+3', 'RTMAX-2'])('accepts StopSignal %s', (StopSignal) => {
    expect(errorOf({ Image: 'busybox', StopSignal })).toEqual({});
  });

  // D: honoured, or refused naming the field
  it.each([
    ['Privileged', { Privileged: true }, 'HostConfig.Privileged is not supported by netd'],
    ['Devices', { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/n', CgroupPermissions: 'rwm' }] }, 'HostConfig.Devices is not supported by netd'],
    ['Ulimits', { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 20 }] }, 'HostConfig.Ulimits is not supported by netd'],
    ['Init', { Init: true }, 'HostConfig.Init is not supported by netd'],
    ['GroupAdd', { GroupAdd: ['5'] }, 'HostConfig.GroupAdd is not supported by netd'],
    ['ReadonlyPaths', { ReadonlyPaths: ['/x'] }, 'HostConfig.ReadonlyPaths is not supported by netd'],
    ['CgroupParent', { CgroupParent: '/x' }, 'HostConfig.CgroupParent is not supported by netd'],
    ['BlkioWeight', { BlkioWeight: 300 }, 'HostConfig.BlkioWeight is not supported by netd'],
    ['KernelMemory', { KernelMemory: 5000000 }, 'HostConfig.KernelMemory is not supported by netd'],
    ['IpcMode host', { IpcMode: 'host' }, 'HostConfig.IpcMode "host" is not supported by netd'],
    ['UTSMode host', { UTSMode: 'host' }, 'HostConfig.UTSMode "host" is not supported by netd'],
    ['UsernsMode', { UsernsMode: 'private' }, 'HostConfig.UsernsMode "private" is not supported by netd'],
    ['PidMode container', { PidMode: 'container:x' }, 'HostConfig.PidMode "container:x" is not supported by netd'],
    ['SecurityOpt', { SecurityOpt: ['seccomp=unconfined'] }, 'HostConfig.SecurityOpt ["seccomp=unconfined"] is not supported by netd (only no-new-privileges, which is always on)'],
    ['a log driver', { LogConfig: { Type: 'syslog', Config: {} } }, 'HostConfig.LogConfig.Type "syslog" is not supported by netd (json-file only)'],
    ['log options', { LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } } }, 'HostConfig.LogConfig.Config is not supported by netd'],
  ])('refuses what netd does not honour with 501: %s', (_name, h, message) => {
    expect(errorOf(hc(h))).toEqual({ kind: 'not-implemented', message });
  });

  it('accepts a Healthcheck and refuses a bad one with dockerd\'s message', () => {
    expect(errorOf({ Image: 'busybox', Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Retries: 3 } })).toEqual({});
    expect(errorOf({ Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'], Timeout: 100 } })).toEqual({ kind: 'invalid-parameter', message: 'Timeout in Healthcheck cannot be less than 1ms' });
  });

  it.each([
    ['Config.NetworkDisabled', { NetworkDisabled: true }, 'Config.NetworkDisabled is not supported by netd'],
  ])('refuses Config options with 501: %s', (_name, body, message) => {
    expect(errorOf({ Image: 'busybox', ...body })).toEqual({ kind: 'not-implemented', message });
  });

  it.each([
    ['memory under 6MB', { Memory: 1024 }, 'Minimum memory limit allowed is 6MB'],
    ['swap without memory', { MemorySwap: 100_000_000 }, 'You should always set the Memory limit when using Memoryswap limit, see usage'],
    ['swap under memory', { Memory: 100_000_000, MemorySwap: 50_000_000 }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
    ['reservation over memory', { Memory: 10_000_000, MemoryReservation: 20_000_000 }, 'Minimum memory limit can not be less than memory reservation limit, see usage'],
    ['swappiness 101', { MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100'],
    ['NanoCpus with CpuQuota', { NanoCpus: 500_000_000, CpuQuota: 50000 }, 'Conflicting options: Nano CPUs and CPU Quota cannot both be set'],
    ['NanoCpus with CpuPeriod', { NanoCpus: 500_000_000, CpuPeriod: 50000 }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set'],
    ['more CPUs than the host has', { NanoCpus: 3_000_000_000 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['under 0.01 CPU', { NanoCpus: 1000 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available'],
    ['a CFS period of 10 µs', { CpuPeriod: 10 }, 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)'],
    ['a CFS quota of 10 µs', { CpuQuota: 10 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)'],
    ['a cpuset that is garbage', { CpusetCpus: 'a-b' }, 'Invalid value a-b for cpuset cpus'],
    ['a CPU the host lacks', { CpusetCpus: '0-3' }, 'Requested CPUs are not available - requested 0-3, available: 0-1'],
    ['a memory node the host lacks', { CpusetMems: '1' }, 'Requested memory nodes are not available - requested 1, available: 0'],
    ['OomScoreAdj 1001', { OomScoreAdj: 1001 }, 'Invalid value 1001, range for oom score adj is [-1000, 1000]'],
    ['a negative ShmSize', { ShmSize: -1 }, 'SHM size can not be less than 0'],
    ['a runtime', { Runtime: 'crun' }, 'unknown or invalid runtime name: crun'],
    ['an isolation', { Isolation: 'hyperv' }, 'Invalid isolation: "hyperv" - Linux only supports \'default\''],
    ['a Windows-only option', { CpuCount: 2 }, 'invalid option: HostConfig.CpuCount is Windows only'],
  ])('refuses bad resources with Docker\'s message: %s', (_name, h, message) => {
    expect(errorOf(hc(h))).toEqual({ kind: 'invalid-parameter', message });
  });

  it('turns resources into the cgroup limits runc applies, with Docker\'s defaults', () => {
    const { opts } = check(hc({ Memory: 64 << 20, MemoryReservation: 32 << 20, NanoCpus: 500_000_000, CpuShares: 512, CpusetCpus: '1', PidsLimit: 50, PidMode: 'host', ShmSize: 1 << 20, OomScoreAdj: 100 }));
    expect(opts).toEqual({
      resources: { memory: 64 << 20, memorySwap: 128 << 20, memoryReservation: 32 << 20, cpuShares: 512, nanoCpus: 500_000_000, cpusetCpus: '1', pidsLimit: 50 },
      pidHost: true, cgroupns: undefined, shmSizeBytes: 1 << 20, oomScoreAdj: 100, consoleSize: undefined, warnings: [],
    });
    expect(check(hc({ CpuPeriod: 50000, CpuQuota: 25000, MemorySwap: -1, Memory: 10 << 20, PidsLimit: -1 })).opts.resources).toEqual({ memory: 10 << 20, memorySwap: -1, cpuPeriod: 50000, cpuQuota: 25000 });
  });

  it('clamps CPU shares and limits without swap accounting as Docker does, with its warnings', () => {
    expect(check(hc({ CpuShares: 1 })).opts).toMatchObject({ resources: { cpuShares: 2 }, warnings: ['Changing requested CPUShares of 1 to minimum allowed of 2'] });
    const noSwap = check(hc({ Memory: 64 << 20, MemorySwap: 128 << 20 }), { ...HOST, swapLimit: false }).opts;
    expect(noSwap).toMatchObject({ resources: { memory: 64 << 20 }, warnings: ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.'] });
    expect(noSwap.resources).not.toHaveProperty('memorySwap');
  });
});
