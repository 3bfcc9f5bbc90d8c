import { InvalidParameterError, IpAddr, Prefix } from '@app/common';
import { isIP } from 'node:net';
import { type ClusterBootConfig, parseClusterConfig } from '../cluster/cluster-config';

/**
 * The daemon's one typed configuration: defaults ← daemon.json ← flags, validated once at boot.
 * Nothing else in netd reads process.env or the config file.
 */
export type Listener =
  | { kind: 'unix'; path: string }
  | { kind: 'tcp'; host: string; port: number }
  /** Sockets passed by systemd's socket activation: all (`fd://`), by number or by name. */
  | { kind: 'fd'; spec: string };
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface AddressPoolConfig {
  readonly base: Prefix;
  readonly size: number;
}

export interface NetdConfig {
  readonly hosts: readonly Listener[];
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly logLevel: LogLevel;
  readonly tlsVerify: boolean;
  readonly tlsCaCert?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** Allow plaintext TCP, only on a loopback address. */
  readonly insecureTcp: boolean;
  /** Name of the default bridge device. */
  readonly bridge: string;
  /** Address of the default bridge with its prefix (dockerd's `bip`), e.g. 172.17.0.1/16. */
  readonly bip?: Prefix;
  readonly defaultAddressPools: readonly AddressPoolConfig[];
  readonly mtu: number;
  readonly dns: readonly IpAddr[];
  /** Serve container names on the default bridge too (Docker does not); `false` = forward only. */
  readonly embeddedDnsDefaultBridge: boolean;
  /** TTL in seconds on the embedded DNS's answers (see MemoryDnsBackendOptions for the default). */
  readonly dnsTtl: number;
  /**
   * Where 127.0.0.11 is served from: `process` (default), a resolver process that outlives netd
   * restarts; `inline`, sockets in netd itself, which die with it (a running resolver is stopped).
   */
  readonly dnsResolver: 'process' | 'inline';
  /** What `--add-host NAME:host-gateway` stands for (dockerd's `host-gateway-ip`); default: the default bridge's gateway. */
  readonly hostGatewayIp?: IpAddr;
  /** Where sandbox namespaces are bind-mounted. */
  readonly netnsDir: string;
  /** The namespace netd programs (bridges, routes, nftables). */
  readonly hostNetns: string;
  /** Registries reached over plain HTTP besides loopback ones (`host[:port]` or a CIDR). */
  readonly insecureRegistries: readonly string[];
  /** Create `busybox:latest` from /bin/busybox at start when the image store lacks it. */
  readonly seedBusybox: boolean;
  /** daemon.json `cluster`: join this cluster at boot unless a membership is persisted. */
  readonly cluster?: ClusterBootConfig;
  /** Serve Prometheus metrics at http://ADDR/metrics (dockerd's `metrics-addr`); off when unset. */
  readonly metricsAddr?: TcpAddress;
  /** Serve the read-only topology page at http://ADDR/ (loopback only: it has no authentication); off when unset. */
  readonly uiAddr?: TcpAddress;
}

export interface TcpAddress {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_SOCKET = '/run/netd/netd.sock';
export const DEFAULT_CONFIG_FILE = '/etc/netd/daemon.json';

export const DEFAULTS: NetdConfig = {
  hosts: [{ kind: 'unix', path: DEFAULT_SOCKET }],
  dataRoot: '/var/lib/netd',
  execRoot: '/run/netd',
  logLevel: 'info',
  tlsVerify: false,
  insecureTcp: false,
  bridge: 'netd0',
  defaultAddressPools: [],
  mtu: 1500,
  dns: [],
  embeddedDnsDefaultBridge: true,
  dnsTtl: 10,
  dnsResolver: 'process',
  netnsDir: '/run/netns',
  hostNetns: '/proc/self/ns/net',
  insecureRegistries: [],
  seedBusybox: true,
};

/** Raw settings keyed by daemon.json names; flags are mapped onto the same keys. */
export type RawSettings = Record<string, unknown>;

type Setter = (value: unknown, out: Partial<Mutable<NetdConfig>>) => void;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function str(value: unknown, what = 'a non-empty string'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) throw new Error(`must be ${what}`);
  return value;
}

function absPath(value: unknown): string {
  const s = str(value, 'an absolute path');
  if (!s.startsWith('/') || s.includes('\0')) throw new Error(`must be an absolute path, got ${JSON.stringify(s)}`);
  return s;
}

function bool(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error('must be true or false');
  return value;
}

function array(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new Error('must be an array');
  return value;
}

export function parseListener(text: string): Listener {
  const m = /^(unix|tcp|fd):\/\/(.*)$/.exec(text);
  if (!m) throw new Error(`invalid host ${JSON.stringify(text)}: expected unix://PATH, tcp://HOST:PORT or fd://`);
  if (m[1] === 'fd') {
    if (!/^(|\d{1,4}|[\w.@-]{1,255})$/.test(m[2])) throw new Error(`invalid host ${JSON.stringify(text)}: expected fd://, fd://N or fd://NAME`);
    return { kind: 'fd', spec: m[2] };
  }
  if (m[1] === 'unix') {
    const path = m[2] || DEFAULT_SOCKET;
    if (!path.startsWith('/')) throw new Error(`invalid host ${JSON.stringify(text)}: the socket path must be absolute`);
    return { kind: 'unix', path };
  }
  const hp = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(m[2]);
  const port = hp ? Number(hp[3]) : NaN;
  if (!hp || port < 1 || port > 65535) throw new Error(`invalid host ${JSON.stringify(text)}: expected tcp://HOST:PORT`);
  return { kind: 'tcp', host: hp[1] ?? (hp[2] || '0.0.0.0'), port };
}

const SETTERS: Record<string, Setter> = {
  hosts: (v, o) => (o.hosts = array(v).map((h) => parseListener(str(h)))),
  'data-root': (v, o) => (o.dataRoot = absPath(v)),
  'exec-root': (v, o) => (o.execRoot = absPath(v)),
  'log-level': (v, o) => {
    if (!LOG_LEVELS.includes(v as LogLevel)) throw new Error(`must be one of ${LOG_LEVELS.join(', ')}`);
    o.logLevel = v as LogLevel;
  },
  // dockerd's `tls` alone (server TLS without client verification) is not enough for netd: TCP
  // always requires client certificates, so `tls` is accepted and implied by `tlsverify`.
  tls: (v) => void bool(v),
  tlsverify: (v, o) => (o.tlsVerify = bool(v)),
  tlscacert: (v, o) => (o.tlsCaCert = absPath(v)),
  tlscert: (v, o) => (o.tlsCert = absPath(v)),
  tlskey: (v, o) => (o.tlsKey = absPath(v)),
  'insecure-tcp': (v, o) => (o.insecureTcp = bool(v)),
  bridge: (v, o) => {
    const s = str(v);
    if (s.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(s)) throw new Error('must be an interface name of at most 15 characters');
    o.bridge = s;
  },
  bip: (v, o) => {
    const p = Prefix.tryParse(str(v));
    if (!p || p.family !== 4 || p.isNetwork || p.length > 30) {
      throw new Error(`must be an IPv4 address with prefix length, e.g. 172.17.0.1/16, got ${JSON.stringify(v)}`);
    }
    o.bip = p;
  },
  'default-address-pools': (v, o) =>
    (o.defaultAddressPools = array(v).map((entry, i) => {
      const e = entry as { base?: unknown; size?: unknown };
      const base = typeof e?.base === 'string' ? Prefix.tryParse(e.base) : undefined;
      if (!base || !base.isNetwork) throw new Error(`[${i}].base must be a subnet in CIDR form`);
      if (!Number.isInteger(e.size) || (e.size as number) < base.length || (e.size as number) > base.address.bits) {
        throw new Error(`[${i}].size must be an integer between ${base.length} and ${base.address.bits}`);
      }
      return { base, size: e.size as number };
    })),
  mtu: (v, o) => {
    if (!Number.isInteger(v) || (v as number) < 68 || (v as number) > 65535) throw new Error('must be an integer between 68 and 65535');
    o.mtu = v as number;
  },
  dns: (v, o) =>
    (o.dns = array(v).map((d) => {
      const ip = typeof d === 'string' ? IpAddr.tryParse(d) : undefined;
      if (!ip) throw new Error(`must hold IP addresses, got ${JSON.stringify(d)}`);
      return ip;
    })),
  'embedded-dns-default-bridge': (v, o) => (o.embeddedDnsDefaultBridge = bool(v)),
  'dns-ttl': (v, o) => {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 86400) throw new Error('must be an integer between 0 and 86400');
    o.dnsTtl = v as number;
  },
  'dns-resolver': (v, o) => {
    if (v !== 'process' && v !== 'inline') throw new Error(`must be "process" or "inline", got ${JSON.stringify(v)}`);
    o.dnsResolver = v;
  },
  'host-gateway-ip': (v, o) => {
    const ip = typeof v === 'string' ? IpAddr.tryParse(v) : undefined;
    if (!ip) throw new Error(`must be an IP address, got ${JSON.stringify(v)}`);
    o.hostGatewayIp = ip;
  },
  'netns-dir': (v, o) => (o.netnsDir = absPath(v)),
  'host-netns': (v, o) => (o.hostNetns = absPath(v)),
  'insecure-registries': (v, o) =>
    (o.insecureRegistries = array(v).map((r) => {
      const t = str(r, 'a list of registry hosts');
      if (!/^[A-Za-z0-9.:[\]/-]{1,255}$/.test(t)) throw new Error(`must hold host[:port] or CIDR entries, got ${JSON.stringify(r)}`);
      return t;
    })),
  'seed-busybox': (v, o) => (o.seedBusybox = bool(v)),
  cluster: (v, o) => (o.cluster = parseClusterConfig(v)),
  'metrics-addr': (v, o) => (o.metricsAddr = parseTcpAddress(str(v, 'HOST:PORT'))),
  'ui-addr': (v, o) => {
    const a = parseTcpAddress(str(v, 'HOST:PORT'));
    if (!isLoopbackHost(a.host)) throw new Error(`must be a loopback address (the page has no authentication), got ${JSON.stringify(v)}`);
    o.uiAddr = a;
  },
};

/** `127.0.0.1:9323`, `[::1]:9323` or `localhost:9323`: an IP literal (or localhost) and a port. */
export function parseTcpAddress(text: string): TcpAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  const host = m ? (m[1] ?? m[2]) : '';
  if (!m || port < 1 || port > 65535 || (host !== 'localhost' && !isIP(host)) || (m[1] !== undefined && isIP(host) !== 6)) {
    throw new Error(`must be HOST:PORT with an IP address and a port from 1 to 65535, got ${JSON.stringify(text)}`);
  }
  return { host, port };
}

export const CONFIG_KEYS = Object.keys(SETTERS);

/**
 * Merge the config file and the flags over the defaults and validate. Throws one
 * InvalidParameterError listing every bad key (unknown keys included).
 */
export function resolveConfig(file: RawSettings, flags: RawSettings): NetdConfig {
  const out: Partial<Mutable<NetdConfig>> = {};
  const problems: string[] = [];
  for (const [source, raw] of [['daemon.json', file], ['flag', flags]] as const) {
    for (const [key, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      const setter = SETTERS[key];
      if (!setter) {
        problems.push(`${source}: unknown key "${key}"`);
        continue;
      }
      try {
        setter(value, out);
      } catch (e) {
        problems.push(`${source}: "${key}" ${(e as Error).message}`);
      }
    }
  }
  const config: NetdConfig = { ...DEFAULTS, ...out };
  problems.push(...checkListeners(config));
  if (problems.length > 0) throw new InvalidParameterError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const ip = isIP(host) ? IpAddr.tryParse(host) : undefined;
  if (!ip) return false;
  return ip.family === 4 ? ip.toBytes()[0] === 127 : ip.value === 1n;
}

function checkListeners(c: NetdConfig): string[] {
  const problems: string[] = [];
  if (c.hosts.length === 0) problems.push('"hosts" must name at least one listener');
  for (const h of c.hosts) {
    if (h.kind !== 'tcp') continue;
    const where = `tcp://${h.host}:${h.port}`;
    if (c.tlsVerify) {
      for (const [k, v] of [['tlscacert', c.tlsCaCert], ['tlscert', c.tlsCert], ['tlskey', c.tlsKey]] as const) {
        if (!v) problems.push(`${where}: --tlsverify needs "${k}"`);
      }
    } else if (!c.insecureTcp) {
      problems.push(`${where}: plaintext TCP is refused; use --tlsverify with --tlscacert, --tlscert and --tlskey`);
    } else if (!isLoopbackHost(h.host)) {
      problems.push(`${where}: --insecure-tcp is allowed only on a loopback address`);
    }
  }
  return problems;
}
