import { InvalidParameterError } from '@app/common';
import { overlayMountData } from '@app/kernel/runc';
import { cgroupsPath, type CgroupMode } from './cgroups';
import type { ContainerPaths } from './layout';
import type { ContainerMount, ContainerResources } from './container-record';
import type { ProcessUser } from './user';

/** Docker's default capability set (moby `oci/caps/defaults.go`); NET_RAW makes ping work. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Everything that decides a container's config.json. Paths come from {@link ContainerPaths}. */
export interface BundleSpec {
  readonly id: string;
  /** Entrypoint + Cmd, already combined; at least one element. */
  readonly args: readonly string[];
  /** `KEY=value` entries from the image and `-e`; PATH/HOSTNAME/TERM are added if missing. */
  readonly env: readonly string[];
  readonly cwd?: string;
  readonly user: ProcessUser;
  readonly hostname: string;
  readonly domainname?: string;
  /** `-t`: the process gets a console (conmon holds the master). */
  readonly terminal: boolean;
  /** The network namespace to join (one netd made), or `host` to share the daemon's. */
  readonly network: { readonly netnsPath: string } | 'host';
  readonly cgroup: { readonly mode: CgroupMode; readonly parent: string };
  readonly readonlyRootfs?: boolean;
  /** `--cap-add`/`--cap-drop`, with or without the CAP_ prefix; `ALL` allowed. */
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  /** Namespaced sysctls (`net.*` only with a private network namespace). */
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly shmSizeBytes?: number;
  readonly resources?: ContainerResources;
  /** Share the host's PID namespace. */
  readonly pidHost?: boolean;
  /** A cgroup namespace of its own; default: only on cgroup v2 (Docker's default). */
  readonly cgroupns?: 'host' | 'private';
  readonly oomScoreAdj?: number;
  readonly consoleSize?: { readonly height: number; readonly width: number };
  /** User mounts (volumes, binds, tmpfs); one at the destination of a default mount replaces it. */
  readonly mounts?: readonly ContainerMount[];
}

/** The subset of the OCI runtime spec netd writes. */
export type OciConfig = Record<string, unknown> & {
  ociVersion: string;
  process: { args: string[]; env: string[]; cwd: string; terminal: boolean; user: ProcessUser; capabilities: Record<string, string[]>; noNewPrivileges: boolean };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: { namespaces: { type: string; path?: string }[]; cgroupsPath: string } & Record<string, unknown>;
};

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** moby's default device cgroup rules: deny all, then the usual character devices. */
const DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  ...[
    [1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 1], [5, 2], [10, 200],
  ].map(([major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

/** Every capability by number (linux/capability.h). */
const ALL_CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT',
  'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE',
  'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ',
  'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

/**
 * The capabilities of a mask (`CapBnd` of /proc/<pid>/status). `docker exec --privileged` gets
 * every one the daemon itself may grant: asking for one outside its bounding set fails the exec.
 */
export function capabilitiesOfMask(mask: bigint): string[] {
  return ALL_CAPABILITIES.filter((_c, i) => (mask >> BigInt(i)) & 1n);
}

/** The effective capability list after --cap-add/--cap-drop (Docker's TweakCapabilities). */
export function capabilities(add: readonly string[] = [], drop: readonly string[] = []): string[] {
  const norm = (c: string) => {
    const up = c.toUpperCase();
    if (up === 'ALL') return up;
    const full = up.startsWith('CAP_') ? up : `CAP_${up}`;
    if (!ALL_CAPABILITIES.includes(full)) throw new InvalidParameterError(`unknown capability: "${c}"`);
    return full;
  };
  const adds = add.map(norm);
  const drops = drop.map(norm);
  if (drops.includes('ALL')) return adds.filter((c) => c !== 'ALL');
  const base = new Set<string>(adds.includes('ALL') ? ALL_CAPABILITIES : DEFAULT_CAPABILITIES);
  for (const c of adds) if (c !== 'ALL') base.add(c);
  for (const c of drops) base.delete(c);
  return [...base];
}

/** PATH default, HOSTNAME, and TERM for a terminal, unless the caller set them. */
export function containerEnv(env: readonly string[], hostname: string, terminal: boolean): string[] {
  const has = (key: string) => env.some((e) => e.startsWith(`${key}=`));
  const out = [...env];
  if (!has('PATH')) out.unshift(DEFAULT_PATH);
  if (!has('HOSTNAME')) out.push(`HOSTNAME=${hostname}`);
  if (terminal && !has('TERM')) out.push('TERM=xterm');
  for (const e of out) if (!/^[^=]+=/.test(e)) throw new InvalidParameterError(`invalid environment variable: ${e}`);
  return out;
}

/**
 * `config` with the container's overlay root as runc's first mount, replacing any earlier one.
 * runc mounts it on the bundle's (empty) rootfs directory inside the container's new mount
 * namespace, before everything else: the overlay never exists in the host's mount table and goes
 * away with the container's last process. Host mounts are what every later runc create copies
 * and detaches again, so one per container made each create slower than the last.
 */
export function withOverlayRoot(config: OciConfig, lowers: readonly string[], paths: ContainerPaths): OciConfig {
  const data = overlayMountData({ lowers, upper: paths.upper, work: paths.work });
  const root: OciMount = { destination: '/', type: 'overlay', source: 'overlay', options: data.split(',') };
  return { ...config, mounts: [root, ...config.mounts.filter((m) => m.destination !== '/')] };
}

/**
 * The config.json of a container. Pure: same spec and paths, same document. The root is
 * `paths.rootfs`, on which the runtime has runc mount the overlay (withOverlayRoot); hosts, resolv.conf and hostname are bind-mounted from the
 * container's directory so netd can rewrite them in place while the container runs.
 */
export function buildOciConfig(spec: BundleSpec, paths: ContainerPaths): OciConfig {
  if (spec.args.length === 0 || spec.args[0] === '') throw new InvalidParameterError('No command specified');
  const caps = capabilities(spec.capAdd, spec.capDrop);
  const hostNet = spec.network === 'host';
  if (spec.sysctls) {
    for (const key of Object.keys(spec.sysctls)) {
      if (hostNet && key.startsWith('net.')) {
        throw new InvalidParameterError(`sysctl '${key}' is not allowed in host network mode`);
      }
    }
  }
  const namespaces: { type: string; path?: string }[] = [{ type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  if (!spec.pidHost) namespaces.unshift({ type: 'pid' });
  if (!hostNet) namespaces.push({ type: 'network', path: (spec.network as { netnsPath: string }).netnsPath });
  // A private cgroup namespace is Docker's default only on cgroup v2; on v1/hybrid it is the host's.
  if ((spec.cgroupns ?? (spec.cgroup.mode === 'v2' ? 'private' : 'host')) === 'private') namespaces.push({ type: 'cgroup' });
  const bind = (destination: string, source: string): OciMount => ({
    destination, type: 'bind', source, options: ['rbind', 'rprivate'],
  });
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${spec.shmSizeBytes ?? 64 * 1024 * 1024}`] },
    bind('/etc/resolv.conf', paths.resolvConf),
    bind('/etc/hostname', paths.hostname),
    bind('/etc/hosts', paths.hosts),
  ];
  const user = userMounts(spec.mounts ?? []);
  const replaced = new Set(user.map((m) => m.destination));
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: spec.terminal,
      user: spec.user,
      args: [...spec.args],
      env: containerEnv(spec.env, spec.hostname, spec.terminal),
      cwd: spec.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: true,
      ...(spec.oomScoreAdj !== undefined && { oomScoreAdj: spec.oomScoreAdj }),
      ...(spec.terminal && spec.consoleSize && { consoleSize: { ...spec.consoleSize } }),
    },
    root: { path: paths.rootfs, readonly: spec.readonlyRootfs ?? false },
    hostname: spec.hostname,
    ...(spec.domainname ? { domainname: spec.domainname } : {}),
    mounts: [...mounts.filter((m) => !replaced.has(m.destination)), ...user],
    linux: {
      namespaces,
      cgroupsPath: cgroupsPath(spec.cgroup.parent, spec.id),
      resources: { devices: DEVICE_RULES, ...ociResources(spec.resources) },
      ...(spec.sysctls && Object.keys(spec.sysctls).length > 0 ? { sysctl: { ...spec.sysctls } } : {}),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}

/**
 * User mounts as runc mounts them, parents before children (moby's sortMounts: by the number
 * of path components), so a mount under another one's destination lands inside it.
 */
export function userMounts(mounts: readonly ContainerMount[]): OciMount[] {
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a.destination) - depth(b.destination)).map((m): OciMount => {
    if (m.type === 'tmpfs') return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: [...(m.tmpfsOptions ?? [])] };
    const options = [m.nonRecursive ? 'bind' : 'rbind'];
    if (!m.rw) options.push('ro');
    options.push(m.propagation || 'rprivate');
    return { destination: m.destination, type: 'bind', source: m.source, options };
  });
}

/** The CFS period dockerd uses for NanoCpus (100 ms). */
const NANO_CPU_PERIOD = 100_000;

/** Docker's resources as the OCI spec's `linux.resources` (runc applies them to the cgroup). */
export function ociResources(r: ContainerResources | undefined): Record<string, unknown> {
  if (!r) return {};
  const pick = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const memory = pick({ limit: r.memory, swap: r.memorySwap, reservation: r.memoryReservation, swappiness: r.memorySwappiness, disableOOMKiller: r.oomKillDisable });
  const nano = r.nanoCpus ? { period: NANO_CPU_PERIOD, quota: Math.floor((r.nanoCpus * NANO_CPU_PERIOD) / 1e9) } : {};
  const cpu = pick({ shares: r.cpuShares, quota: r.cpuQuota, period: r.cpuPeriod, ...nano, cpus: r.cpusetCpus, mems: r.cpusetMems });
  return {
    ...(Object.keys(memory).length > 0 && { memory }),
    ...(Object.keys(cpu).length > 0 && { cpu }),
    ...(r.pidsLimit !== undefined && { pids: { limit: r.pidsLimit } }),
  };
}

/** `linux.resources` with `over`'s memory, cpu and pids fields laid over `base`'s. */
export function mergeResources(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    out[k] = b && typeof b === 'object' && v && typeof v === 'object' ? { ...(b as object), ...(v as object) } : v;
  }
  return out;
}
