import { UNIMPLEMENTED_ENDPOINTS } from '../http/not-implemented';
import type { Prng } from './prng';
import { FieldKind, junk, junkId, prototypeKeys, randomText, wrongType } from './fuzz-values';

/**
 * One generated API request. `reject`: bad by construction, so it must get a 4xx (or 501 for an
 * option netd refuses) and change nothing; `safe`: a read whose answer may be anything under 500.
 */
export interface FuzzRequest {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** an object is sent as JSON; a string or Buffer as it is */
  body?: unknown;
  expect: 'reject' | 'safe';
}

/** The objects a corpus aims at; none of them may change. */
export interface FuzzTargets {
  /** a running container on `network` */
  running: string;
  /** a created, never started container */
  created: string;
  /** a user bridge network and its IPv4 subnet's first three octets ("10.251.7") */
  network: string;
  subnet24: string;
  /** names that exist (junk ids avoid them) */
  names: readonly string[];
}

const CONFIG_FIELDS: Record<string, FieldKind> = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'bool', AttachStdout: 'bool', AttachStderr: 'bool',
  Tty: 'bool', OpenStdin: 'bool', StdinOnce: 'bool', Env: 'strings', Cmd: 'strslice', Entrypoint: 'strslice', Image: 'string',
  Labels: 'map', WorkingDir: 'string', StopSignal: 'string', StopTimeout: 'int', ExposedPorts: 'object', NetworkDisabled: 'bool',
  MacAddress: 'string', Healthcheck: 'object', Volumes: 'object', OnBuild: 'strings', Shell: 'strslice', ArgsEscaped: 'bool',
  HostConfig: 'object', NetworkingConfig: 'object',
};

const HOST_CONFIG_FIELDS: Record<string, FieldKind> = {
  NetworkMode: 'string', PortBindings: 'object', RestartPolicy: 'object', AutoRemove: 'bool', Dns: 'strings', DnsOptions: 'strings',
  DnsSearch: 'strings', ExtraHosts: 'strings', CapAdd: 'strslice', CapDrop: 'strslice', Privileged: 'bool', PublishAllPorts: 'bool',
  ReadonlyRootfs: 'bool', Sysctls: 'map', Links: 'strings', Binds: 'strings', Memory: 'int', MemorySwap: 'int', NanoCpus: 'int',
  CpuShares: 'int', CpuQuota: 'int', CpuPeriod: 'int', PidMode: 'string', IpcMode: 'string', UTSMode: 'string', Init: 'bool',
  ShmSize: 'int', Tmpfs: 'map', SecurityOpt: 'strings', LogConfig: 'object', GroupAdd: 'strings', OomScoreAdj: 'int',
  PidsLimit: 'int', Runtime: 'string', Isolation: 'string', VolumesFrom: 'strings', Mounts: 'objects', ContainerIDFile: 'string',
};

const NETWORK_FIELDS: Record<string, FieldKind> = {
  Name: 'string', Driver: 'string', Internal: 'bool', Attachable: 'bool', Ingress: 'bool', EnableIPv6: 'bool', EnableIPv4: 'bool',
  IPAM: 'object', Options: 'map', Labels: 'map', Scope: 'string', CheckDuplicate: 'bool', ConfigOnly: 'bool', ConfigFrom: 'object',
};

const BAD_SIGNALS = ['SIGFOO', 'FOO', '99', '-1', '0x9', 'SIG', 'sigkill ', '9999999999', 'KILL;', '%00'];
const BAD_NUMBERS = ['abc', '-', '1.5', '1e3', '0x10', '99999999999999999999', ' 1', 'NaN', '%00', '١'];
const BAD_REFS = ['UPPER', 'a@sha256:zz', ':', '-x', 'a//b', 'x:', 'a b', '_x', 'a:b:c:d', 'x@', '@sha256:' + '0'.repeat(64), '..', 'a/../b'];
const BAD_CIDRS = ['10.0.0.0/33', 'x', '1.2.3.4', '::/129', '300.1.1.1/8', '10.0.0.0/8/8', '0x0a.0.0.0/8', 'fe80::1%eth0/64', '10.1.2.3/31',
  '127.0.0.0/8', '127.5.0.0/16', '224.0.0.0/4', '239.1.0.0/16', '0.0.0.0/8', '::1/128', 'ff00::/8', '255.255.255.255/32'];
const BAD_NAMES = ['', '-x', '.x', '../etc', '..', 'a/b', 'a\u0000b', 'ネット', '😀', '\u202ename', 'a\nb', 'x'.repeat(300), 'bridge', 'host', 'none'];
/** Network names dockerd refuses (only blank ones) and those netd refuses besides (control characters, overlong, predefined). */
const BAD_NETWORK_NAMES = ['', ' ', '\t', 'a\u0000b', 'a\nb', 'x'.repeat(300), 'bridge', 'host', 'none'];

/** Container-create mutations that Docker refuses whatever the rest of the body says. */
function badContainerValues(t: FuzzTargets): [string, (b: Body) => void][] {
  const ep = (cfg: unknown) => (b: Body) => ((b.NetworkingConfig as Body).EndpointsConfig = { [t.network]: cfg });
  const hc = (k: string, v: unknown) => (b: Body) => ((b.HostConfig as Body)[k] = v);
  return [
    ['relative WorkingDir', (b) => (b.WorkingDir = 'rel/dir')],
    ['Env with NUL', (b) => (b.Env = ['A=1\u0000B'])],
    ['unknown StopSignal', (b) => (b.StopSignal = 'SIGFOO')],
    ['MacAddress zz', (b) => (b.MacAddress = 'zz')],
    ['multicast MacAddress', (b) => (b.MacAddress = '01:00:5e:00:00:01')],
    ['empty Image', (b) => (b.Image = '')],
    ['Image with bad reference', (b) => (b.Image = 'UPPER/Case')],
    ['ExposedPorts port 99999', (b) => (b.ExposedPorts = { '99999/tcp': {} })],
    ['ExposedPorts unknown proto', (b) => (b.ExposedPorts = { '80/xyz': {} })],
    ['PortBindings wrong type', hc('PortBindings', { '80/tcp': 5 })],
    ['PortBindings bad host port', hc('PortBindings', { '80/tcp': [{ HostPort: '99999' }] })],
    ['PortBindings bad key', hc('PortBindings', { 'x/tcp': [] })],
    ['Dns not an address', hc('Dns', ['not-an-ip'])],
    ['DnsSearch with newline', hc('DnsSearch', ['a\nnameserver 1.2.3.4'])],
    ['DnsOptions with newline', hc('DnsOptions', ['ndots:1\nnameserver 1.2.3.4'])],
    ['ExtraHosts without address', hc('ExtraHosts', ['justahost'])],
    ['ExtraHosts bad address', hc('ExtraHosts', ['h:not-an-ip'])],
    ['Sysctls outside net.*', hc('Sysctls', { 'kernel.randomize_va_space': '0' })],
    ['Sysctls vm.*', hc('Sysctls', { 'vm.overcommit_memory': '1' })],
    ['unknown restart policy', hc('RestartPolicy', { Name: 'sometimes' })],
    ['negative retry count', hc('RestartPolicy', { Name: 'on-failure', MaximumRetryCount: -1 })],
    ['retry count with always', hc('RestartPolicy', { Name: 'always', MaximumRetryCount: 3 })],
    ['AutoRemove with restart always', (b) => Object.assign(b.HostConfig as Body, { AutoRemove: true, RestartPolicy: { Name: 'always' } })],
    ['unknown capability', hc('CapAdd', ['CAP_BOGUS'])],
    ['memory below the minimum', hc('Memory', 1024)],
    ['negative NanoCpus', hc('NanoCpus', -1)],
    ['Privileged', hc('Privileged', true)],
    ['Binds: a volume name climbing out', hc('Binds', ['../../etc:/x'])],
    ['Binds: onto /', hc('Binds', ['fz-vol:/'])],
    ['Binds: a relative destination', hc('Binds', ['/tmp:rel'])],
    ['Binds: an unknown mode', hc('Binds', ['/tmp:/x:rx'])],
    ['Binds: too many fields', hc('Binds', ['a:/b:ro:x'])],
    ['Binds: one destination twice', hc('Binds', ['fz-vol1:/d', 'fz-vol2:/d/'])],
    ['Binds: shared propagation', hc('Binds', ['/tmp:/x:rshared'])],
    ['Mounts: a bind source that does not exist', hc('Mounts', [{ Type: 'bind', Source: '/nonexistent-fz/x', Target: '/x' }])],
    ['Mounts: an unknown type', hc('Mounts', [{ Type: 'weird', Target: '/x' }])],
    ['Mounts: a read-only anonymous volume', hc('Mounts', [{ Type: 'volume', Target: '/x', ReadOnly: true }])],
    ['Mounts: a target with NUL', hc('Mounts', [{ Type: 'tmpfs', Target: '/x\u0000y' }])],
    ['Mounts: another volume driver', hc('Mounts', [{ Type: 'volume', Source: 'fz-vol', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'zz-nodriver' } } }])],
    ['Mounts: a tmpfs with a source', hc('Mounts', [{ Type: 'tmpfs', Source: '/etc', Target: '/x' }])],
    ['Tmpfs: an unknown option', hc('Tmpfs', { '/t': 'size=1m,exec=1' })],
    ['Tmpfs: a relative destination', hc('Tmpfs', { t: '' })],
    ['VolumesFrom: an unknown container', hc('VolumesFrom', ['zz-no-such-container'])],
    ['VolumeDriver: not local', hc('VolumeDriver', 'zz-nodriver')],
    ['Config.Volumes: a relative path', (b) => (b.Volumes = { rel: {} })],
    ['unknown network', hc('NetworkMode', 'zz-no-such-network')],
    ['container: without a target', hc('NetworkMode', 'container:')],
    ['static address not an IP', ep({ IPAMConfig: { IPv4Address: 'x.y' } })],
    ['static address outside the subnet', ep({ IPAMConfig: { IPv4Address: '192.0.2.10' } })],
    ['static address is the network address', ep({ IPAMConfig: { IPv4Address: `${t.subnet24}.0` } })],
    ['static address is the broadcast address', ep({ IPAMConfig: { IPv4Address: `${t.subnet24}.255` } })],
    ['static address is the gateway', ep({ IPAMConfig: { IPv4Address: `${t.subnet24}.1` } })],
    ['endpoint MacAddress zz', ep({ MacAddress: 'zz' })],
    ['endpoint Aliases wrong type', ep({ Aliases: [5] })],
    ['endpoint config wrong type', ep(5)],
  ];
}

type Body = Record<string, unknown>;

/** The body `docker create --network NET busybox true` sends (API 1.41), every field at its default. */
export function dockerCliCreateBody(network: string): Body {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, OpenStdin: false,
    StdinOnce: false, Env: null, Cmd: ['true'], Image: 'busybox', Volumes: {}, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
    HostConfig: {
      Binds: null, ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: network, PortBindings: {},
      RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null, CapAdd: null, CapDrop: null,
      CgroupnsMode: '', Dns: [], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null,
      OomScoreAdj: 0, PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '',
      UsernsMode: '', ShmSize: 0, ConsoleSize: [0, 0], Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0, CgroupParent: '',
      BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null, BlkioDeviceReadIOps: null,
      BlkioDeviceWriteIOps: null, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '',
      Devices: [], DeviceCgroupRules: null, DeviceRequests: null, KernelMemory: 0, KernelMemoryTCP: 0, MemoryReservation: 0,
      MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: null, Ulimits: null, CpuCount: 0, CpuPercent: 0,
      IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
    },
    NetworkingConfig: { EndpointsConfig: {} },
  };
}

function containerCreates(r: Prng, t: FuzzTargets, n: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const bad = badContainerValues(t);
  for (let i = 0; i < n; i++) {
    const body = dockerCliCreateBody(t.network);
    const hostConfig = body.HostConfig as Body;
    let what: string;
    const roll = r.int(3);
    if (roll === 0) {
      const [name, apply] = r.pick(bad);
      apply(body);
      what = name;
    } else if (roll === 1) {
      const field = r.pick(Object.keys(CONFIG_FIELDS));
      body[field] = wrongType(r, CONFIG_FIELDS[field]);
      what = `Config.${field} of the wrong type`;
    } else {
      const field = r.pick(Object.keys(HOST_CONFIG_FIELDS));
      hostConfig[field] = wrongType(r, HOST_CONFIG_FIELDS[field]);
      what = `HostConfig.${field} of the wrong type`;
    }
    // noise that Docker ignores: unknown fields
    if (r.chance(0.3)) body[`X${randomText(r, 4).replace(/[^A-Za-z]/g, 'q')}`] = junk(r);
    const name = r.chance(0.5) ? `?name=fz-${i}` : '';
    out.push({ name: `container create: ${what}`, method: 'POST', path: `/v1.41/containers/create${name}`, body, expect: 'reject' });
  }
  out.push({ name: 'container create: bad name', method: 'POST', path: `/containers/create?name=${encodeURIComponent('a/b')}`, body: dockerCliCreateBody(t.network), expect: 'reject' });
  out.push({ name: 'container create: name taken', method: 'POST', path: `/containers/create?name=${t.names[0]}`, body: dockerCliCreateBody(t.network), expect: 'reject' });
  out.push({ name: 'container create: prototype keys', method: 'POST', path: '/containers/create', body: { ...dockerCliCreateBody(t.network), Labels: prototypeKeys(5) }, expect: 'reject' });
  for (const body of [null, [], 'x', 5, {}, { Image: 5 }]) out.push({ name: `container create: body ${JSON.stringify(body)}`, method: 'POST', path: '/containers/create', body, expect: 'reject' });
  return out;
}

function networkCreates(r: Prng, t: FuzzTargets, n: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  for (let i = 0; i < n; i++) {
    const body: Body = { Name: `fz-net-${i}`, IPAM: { Config: [{ Subnet: `10.252.${i % 250}.0/24` }] } };
    const ipamConfig = (body.IPAM as { Config: Body[] }).Config[0];
    let what: string;
    switch (r.int(9)) {
      case 0:
        body.Name = r.pick(BAD_NETWORK_NAMES);
        what = `name ${JSON.stringify(body.Name).slice(0, 20)}`;
        break;
      case 1: {
        const field = r.pick(Object.keys(NETWORK_FIELDS));
        body[field] = wrongType(r, NETWORK_FIELDS[field]);
        what = `${field} of the wrong type`;
        break;
      }
      case 2:
        ipamConfig.Subnet = r.pick(BAD_CIDRS);
        what = `subnet ${ipamConfig.Subnet}`;
        break;
      case 3:
        ipamConfig[r.pick(['Gateway', 'IPRange'])] = r.pick([...BAD_CIDRS, '10.99.0.1', '10.99.0.0/24']);
        what = 'gateway or range outside the subnet';
        break;
      case 4:
        ipamConfig.Subnet = `${t.subnet24}.0/${r.pick([24, 25, 16])}`;
        what = 'subnet overlapping an existing network';
        break;
      case 5:
        body.Options = { [r.pick(['com.docker.network.bridge.bogus', 'com.docker.network.driver.mtu', 'com.docker.network.bridge.enable_icc', 'x'])]: r.pick(['x', '99999999', '-1', 'maybe']) };
        what = 'bad driver option';
        break;
      case 6:
        body.Driver = r.pick(['zz-no-such-driver', 'host', 'null', 'overlay', 'BRIDGE']);
        what = `driver ${body.Driver}`;
        break;
      case 7:
        body.Labels = r.chance(0.5) ? prototypeKeys(5) : { a: junkNonString(r) };
        what = 'labels with non-string values';
        break;
      default:
        body.IPAM = r.pick([{ Config: 'x' }, { Config: [5] }, { Driver: 'weird' }, { Config: [{ Subnet: '10.253.0.0/24', AuxiliaryAddresses: { a: 'x' } }] },
          { Config: [{ Subnet: '10.253.0.0/24', AuxiliaryAddresses: { a: '10.99.0.1' } }] }, { Options: 5 }]);
        what = 'bad IPAM';
    }
    out.push({ name: `network create: ${what}`, method: 'POST', path: '/networks/create', body, expect: 'reject' });
  }
  return out;
}

function junkNonString(r: Prng): unknown {
  for (;;) {
    const v = junk(r);
    if (typeof v !== 'string' && v !== null) return v;
  }
}

function networkOps(r: Prng, t: FuzzTargets, n: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const badEndpoints = [5, 'x', [], { Aliases: 'x' }, { Aliases: [5] }, { MacAddress: 'zz:zz' }, { MacAddress: '01:00:5e:00:00:01' }, { DriverOpts: [] },
    { IPAMConfig: [] }, { IPAMConfig: { IPv4Address: 'x' } }, { IPAMConfig: { IPv4Address: `${t.subnet24}.255` } }, { IPAMConfig: { IPv4Address: '192.0.2.1' } },
    { IPAMConfig: { LinkLocalIPs: 'x' } }, { GwPriority: 'high' }, { Links: [1] }];
  for (let i = 0; i < n; i++) {
    switch (r.int(6)) {
      case 0:
        out.push({ name: 'connect: bad endpoint config', method: 'POST', path: `/networks/${t.network}/connect`, body: { Container: t.created, EndpointConfig: r.pick(badEndpoints) }, expect: 'reject' });
        break;
      case 1:
        out.push({ name: 'connect: bad container', method: 'POST', path: `/networks/${t.network}/connect`, body: { Container: r.chance(0.5) ? junkId(r, t.names) : wrongType(r, 'string') }, expect: 'reject' });
        break;
      case 2:
        out.push({ name: 'connect: already connected', method: 'POST', path: `/networks/${t.network}/connect`, body: { Container: t.running }, expect: 'reject' });
        break;
      case 3:
        out.push({ name: 'disconnect: bad body', method: 'POST', path: `/networks/${t.network}/disconnect`, body: r.pick([{ Container: t.running, Force: 'yes' }, { Container: junkId(r, t.names) }, { Container: 5 }, 'x', []]), expect: 'reject' });
        break;
      case 4:
        out.push({ name: 'network: unknown id', method: r.pick(['GET', 'DELETE']), path: `/networks/${junkId(r, t.names)}`, expect: 'reject' });
        break;
      default:
        out.push({ name: 'network: bad filters', method: r.pick(['GET', 'POST']), path: `/networks${r.chance(0.5) ? '/prune' : ''}?filters=${encodeURIComponent(r.pick(['{', '[]', '"x"', '{"bogus":["x"]}', '{"until":["tomorrowish"]}', '{"dangling":["maybe"]}', '{"type":["weird"]}', 'null', JSON.stringify(junk(r))]))}`, expect: 'reject' });
    }
  }
  out.push({ name: 'network: delete with an endpoint', method: 'DELETE', path: `/networks/${t.network}`, expect: 'reject' });
  out.push({ name: 'network: delete predefined', method: 'DELETE', path: '/networks/bridge', expect: 'reject' });
  return out;
}

function containerOps(r: Prng, t: FuzzTargets, n: number): FuzzRequest[] {
  const out: FuzzRequest[] = [];
  const c = t.running;
  const ops: (() => FuzzRequest)[] = [
    () => ({ name: 'kill: unknown signal', method: 'POST', path: `/containers/${c}/kill?signal=${encodeURIComponent(r.pick(BAD_SIGNALS))}`, expect: 'reject' }),
    () => ({ name: 'kill: not running', method: 'POST', path: `/containers/${t.created}/kill`, expect: 'reject' }),
    () => ({ name: 'stop: bad timeout', method: 'POST', path: `/containers/${c}/stop?t=${encodeURIComponent(r.pick(BAD_NUMBERS))}`, expect: 'reject' }),
    () => ({ name: 'stop: unknown signal', method: 'POST', path: `/containers/${c}/stop?signal=${encodeURIComponent(r.pick(BAD_SIGNALS))}&t=0`, expect: 'reject' }),
    () => ({ name: 'restart: bad timeout', method: 'POST', path: `/containers/${c}/restart?t=${encodeURIComponent(r.pick(BAD_NUMBERS))}`, expect: 'reject' }),
    () => ({ name: 'resize: bad size', method: 'POST', path: `/containers/${c}/resize?h=${encodeURIComponent(r.pick(BAD_NUMBERS))}&w=${encodeURIComponent(r.pick(BAD_NUMBERS))}`, expect: 'reject' }),
    () => ({ name: 'wait: bad condition', method: 'POST', path: `/containers/${c}/wait?condition=${encodeURIComponent(r.pick(['x', 'stopped', 'NOT-RUNNING', '%00']))}`, expect: 'reject' }),
    () => ({ name: 'logs: no stream', method: 'GET', path: `/containers/${c}/logs${r.pick(['', '?stdout=0&stderr=0', '?stdout=no'])}`, expect: 'reject' }),
    () => ({ name: 'logs: bad tail or since', method: 'GET', path: `/containers/${c}/logs?stdout=1&${r.pick(['tail', 'since', 'until'])}=${encodeURIComponent(r.pick(['x', '-', '1.2.3', '%00', 'tomorrow']))}`, expect: 'reject' }),
    () => ({ name: 'delete: running without force', method: 'DELETE', path: `/containers/${c}${r.pick(['', '?force=0', '?force=no'])}`, expect: 'reject' }),
    () => ({ name: 'exec: bad body', method: 'POST', path: `/containers/${c}/exec`, body: badExec(r), expect: 'reject' }),
    () => ({ name: 'exec: stopped container', method: 'POST', path: `/containers/${t.created}/exec`, body: { Cmd: ['true'] }, expect: 'reject' }),
    () => ({ name: 'list: bad filters or limit', method: 'GET', path: `/containers/json?${r.pick(['filters', 'limit'])}=${encodeURIComponent(r.pick(['{', '[]', '"x"', '{"bogus":["x"]}', '{"status":["weird"]}', 'x', '-5x']))}`, expect: 'reject' }),
    () => ({ name: 'start: already running', method: 'POST', path: `/containers/${c}/start`, expect: 'safe' }),
    () => ({ name: 'list: junk query', method: 'GET', path: `/containers/json?${encodeURIComponent(randomText(r, 5))}=${encodeURIComponent(randomText(r, 5))}`, expect: 'safe' }),
    () => ({ name: 'inspect: running', method: 'GET', path: `/containers/${c}/json?size=${encodeURIComponent(randomText(r, 3))}`, expect: 'safe' }),
  ];
  for (let i = 0; i < n; i++) out.push(r.pick(ops)());
  return out;
}

function badExec(r: Prng): unknown {
  return r.pick([
    () => ({ Cmd: wrongType(r, 'strslice') }),
    () => ({ Cmd: [] }),
    () => ({}),
    () => ({ Cmd: ['true'], Env: wrongType(r, 'strings') }),
    () => ({ Cmd: ['true'], Env: ['A=1\u0000'] }),
    () => ({ Cmd: ['true'], User: wrongType(r, 'string') }),
    () => ({ Cmd: ['true'], WorkingDir: 'rel' }),
    () => ({ Cmd: ['true'], Tty: 'yes' }),
    () => ({ Cmd: ['true'], Privileged: 'x' }),
    () => ({ Cmd: ['true'], DetachKeys: 'ctrl-' }),
    () => ({ Cmd: ['true'], ConsoleSize: [-1, 5] }),
    () => 'x',
    () => [],
  ])();
}

/** Every route that takes an id, aimed at ids that match nothing. */
function unknownIds(r: Prng, t: FuzzTargets, n: number): FuzzRequest[] {
  const routes: [string, (id: string) => string, unknown?][] = [
    ['GET', (id) => `/containers/${id}/json`],
    ['POST', (id) => `/containers/${id}/start`],
    ['POST', (id) => `/containers/${id}/stop`],
    ['POST', (id) => `/containers/${id}/kill`],
    ['POST', (id) => `/containers/${id}/restart`],
    ['POST', (id) => `/containers/${id}/resize?h=10&w=10`],
    ['POST', (id) => `/containers/${id}/wait`],
    ['DELETE', (id) => `/containers/${id}?force=1`],
    ['GET', (id) => `/containers/${id}/logs?stdout=1`],
    ['POST', (id) => `/containers/${id}/attach?stream=1&stdout=1`],
    ['POST', (id) => `/containers/${id}/exec`, { Cmd: ['true'] }],
    ['POST', (id) => `/exec/${id}/start`, { Detach: false }],
    ['POST', (id) => `/exec/${id}/resize?h=10&w=10`],
    ['GET', (id) => `/exec/${id}/json`],
    ['GET', (id) => `/networks/${id}`],
    ['DELETE', (id) => `/networks/${id}`],
    ['POST', (id) => `/networks/${id}/connect`, { Container: t.created }],
    ['POST', (id) => `/networks/${id}/disconnect`, { Container: t.running }],
    ['GET', (id) => `/images/${id}/json`],
    ['GET', (id) => `/images/${id}/history`],
    ['DELETE', (id) => `/images/${id}`],
    ['POST', (id) => `/images/${id}/tag?repo=fz&tag=x`],
    ['POST', (id) => `/images/${id}/push`],
    ['GET', (id) => `/images/get?names=${id}`],
    ['DELETE', (id) => `/netd/cluster/networks/${id}`],
  ];
  const out: FuzzRequest[] = [];
  for (let i = 0; i < n; i++) {
    const [method, path, body] = routes[i % routes.length];
    out.push({ name: `${method} ${path(':id')} of an unknown id`, method, path: path(junkId(r, t.names)), body, expect: 'reject' });
  }
  return out;
}

function imageOps(r: Prng, n: number): FuzzRequest[] {
  const ops: (() => FuzzRequest)[] = [
    () => ({ name: 'pull: invalid reference', method: 'POST', path: `/images/create?fromImage=${encodeURIComponent(r.pick(BAD_REFS))}`, expect: 'reject' }),
    () => ({ name: 'images/create without a source', method: 'POST', path: `/images/create${r.pick(['', '?tag=x', '?fromSrc=', '?fromSrc=not-a-url'])}`, expect: 'reject' }),
    () => ({ name: 'tag: invalid repository', method: 'POST', path: `/images/busybox/tag?repo=${encodeURIComponent(r.pick(BAD_REFS))}&tag=${encodeURIComponent(r.pick(['', 'x', 'UPPER', 'a b', '-x', 'x'.repeat(200)]))}`, expect: 'reject' }),
    () => ({ name: 'tag: invalid tag', method: 'POST', path: `/images/busybox/tag?repo=fz&tag=${encodeURIComponent(r.pick(['a b', '-x', '.x', 'x'.repeat(200), 'a:b', '%00']))}`, expect: 'reject' }),
    () => ({ name: 'images: bad filters', method: 'GET', path: `/images/json?filters=${encodeURIComponent(r.pick(['{', '[]', '"x"', '{"bogus":["x"]}', '{"dangling":["maybe"]}', 'null']))}`, expect: 'reject' }),
    () => ({ name: 'build: bad query', method: 'POST', path: `/build?${r.pick([`t=${encodeURIComponent(r.pick(BAD_REFS))}`, 'buildargs=%7B', 'buildargs=%5B%5D', 'labels=x', 'dockerfile=..%2F..%2Fetc%2Fpasswd', 'dockerfile=%2Fetc%2Fpasswd', 'networkmode=zz-nonet', 'platform=windows%2Famd64', 'memory=x'])}`, headers: { 'content-type': 'application/x-tar' }, body: Buffer.alloc(1024), expect: 'reject' }),
    () => ({ name: 'image delete in use', method: 'DELETE', path: '/images/busybox', expect: 'reject' }),
    () => ({ name: 'images: junk query', method: 'GET', path: `/images/json?${encodeURIComponent(randomText(r, 4))}=${encodeURIComponent(randomText(r, 4))}`, expect: 'safe' }),
  ];
  return Array.from({ length: n }, () => r.pick(ops)());
}

function systemOps(r: Prng, n: number): FuzzRequest[] {
  const ops: (() => FuzzRequest)[] = [
    () => ({ name: 'events: bad since/until/filters', method: 'GET', path: `/events?${r.pick(['since', 'until', 'filters'])}=${encodeURIComponent(r.pick(['yesterday-ish', '{', '[]', '{"color":["red"]}', '1.2.3', '%00', '-x']))}`, expect: 'reject' }),
    () => ({ name: 'events: a finished window', method: 'GET', path: '/events?since=1&until=2', expect: 'safe' }),
    () => ({ name: 'system reads', method: r.pick(['GET', 'HEAD']), path: r.pick(['/_ping', '/version', '/info', '/v1.41/info', '/v1.24/version']), expect: 'safe' }),
    () => ({ name: 'bad api version', method: 'GET', path: `/v${r.pick(['99.0', '0.1', '1.999999999999999999', 'x', '1.47.1', ''])}/info`, expect: 'reject' }),
    () => ({ name: 'unknown route', method: r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']), path: `/${encodeURIComponent(randomText(r, 6))}/${r.pick(['x', 'json', 'create'])}`, expect: 'reject' }),
    () => ({ name: 'wrong method', method: r.pick(['PUT', 'PATCH']), path: r.pick(['/containers/create', '/networks/create', '/images/load', '/build', '/_ping']), expect: 'reject' }),
    () => ({ name: 'cluster: bad body', method: 'POST', path: `/netd/cluster/${r.pick(['init', 'join', 'networks'])}`, body: r.pick([5, 'x', [], { Bootstrap: 5 }, { Bootstrap: ['x'] }, { Token: 5 }, { Name: 5 }, { Subnet: 'x' }]), expect: 'reject' }),
    () => ({ name: 'cluster: leave when not a member', method: 'POST', path: '/netd/cluster/leave', expect: 'reject' }),
    () => ({ name: 'body of the wrong content type', method: 'POST', path: '/networks/create', body: r.pick(['Name=x', '<xml/>', '\u0000\u0001']), headers: { 'content-type': r.pick(['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) }, expect: 'reject' }),
    () => ({ name: 'truncated JSON', method: 'POST', path: r.pick(['/networks/create', '/containers/create']), body: JSON.stringify(dockerCliCreateBody('bridge')).slice(0, 1 + r.int(200)), expect: 'reject' }),
    () => ({ name: 'deeply nested JSON', method: 'POST', path: r.pick(['/networks/create', '/containers/create']), body: '['.repeat(5000) + ']'.repeat(5000), expect: 'reject' }),
    () => ({ name: 'oversized body', method: 'POST', path: r.pick(['/networks/create', '/containers/create', '/containers/x/exec']), body: JSON.stringify({ Name: 'big', Labels: { a: 'x'.repeat(2 * 1024 * 1024) } }), expect: 'reject' }),
  ];
  return Array.from({ length: n }, () => r.pick(ops)());
}

function volumeOps(r: Prng, t: FuzzTargets, n: number): FuzzRequest[] {
  const ops: (() => FuzzRequest)[] = [
    () => ({ name: 'volume create: bad name', method: 'POST', path: '/volumes/create', body: { Name: r.pick(BAD_NAMES.filter((x) => x !== '' && !['bridge', 'host', 'none'].includes(x))) }, expect: 'reject' }),
    () => ({ name: 'volume create: wrong types', method: 'POST', path: '/volumes/create', body: { Name: 'fz-vol', [r.pick(['Name', 'Driver', 'DriverOpts', 'Labels'])]: wrongType(r, 'map') }, expect: 'reject' }),
    () => ({ name: 'volume create: unknown driver or option', method: 'POST', path: '/volumes/create', body: r.pick([{ Name: 'fz-vol', Driver: 'zz-nodriver' }, { Name: 'fz-vol', DriverOpts: { bogus: 'x' } }, { Name: 'fz-vol', DriverOpts: { type: 'nfs', device: ':/x', o: 'addr=127.0.0.1' } }]), expect: 'reject' }),
    () => ({ name: 'volume: unknown name', method: r.pick(['GET', 'DELETE']), path: `/volumes/${junkId(r, t.names)}`, expect: 'reject' }),
    () => ({ name: 'volume: bad filters', method: r.pick(['GET', 'POST']), path: `/volumes${r.chance(0.5) ? '/prune' : ''}?filters=${encodeURIComponent(r.pick(['{', '[]', '"x"', '{"bogus":["x"]}', '{"dangling":["maybe"]}']))}`, expect: 'reject' }),
  ];
  return Array.from({ length: n }, () => r.pick(ops)());
}

/** Docker endpoints netd lacks, aimed at the running container: a 501 each, and it is not paused, renamed or updated. */
function unimplementedOps(r: Prng, t: FuzzTargets, n: number): FuzzRequest[] {
  return Array.from({ length: n }, () => {
    const [method, path] = r.pick(UNIMPLEMENTED_ENDPOINTS);
    const body = method === 'POST' || method === 'PUT' ? r.pick([{}, { Memory: 1 << 30 }, { RestartPolicy: { Name: 'always' } }]) : undefined;
    return { name: `unimplemented ${method} ${path}`, method, path: `${path.replace('{id}', t.running).replace('{name}', 'busybox')}?name=fz-renamed`, body, expect: 'reject' as const };
  });
}

/** The whole API corpus: about `scale` × 1,000 requests, in a seeded order. */
export function apiCorpus(r: Prng, t: FuzzTargets, scale = 1): FuzzRequest[] {
  const k = (n: number) => Math.max(1, Math.round(n * scale));
  const all = [
    ...containerCreates(r, t, k(260)),
    ...networkCreates(r, t, k(180)),
    ...networkOps(r, t, k(110)),
    ...containerOps(r, t, k(170)),
    ...unknownIds(r, t, k(150)),
    ...imageOps(r, k(80)),
    ...volumeOps(r, t, k(50)),
    ...unimplementedOps(r, t, k(30)),
    ...systemOps(r, k(90)),
  ];
  // interleave, so no endpoint's failures are masked by running in one block
  for (let i = all.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all;
}

