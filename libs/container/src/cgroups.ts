import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/**
 * How the machine mounts cgroups. `v1` and `hybrid` (v1 controllers, cgroup2 only for
 * systemd/unified) both make runc use the v1 hierarchies; `v2` is the unified hierarchy alone.
 */
export type CgroupMode = 'v1' | 'hybrid' | 'v2';

/** Detect the mode from the cgroup mount point (default /sys/fs/cgroup); never assume v2. */
export function detectCgroupMode(root = '/sys/fs/cgroup'): CgroupMode {
  if (existsSync(join(root, 'cgroup.controllers'))) return 'v2';
  if (existsSync(join(root, 'unified', 'cgroup.controllers'))) return 'hybrid';
  return 'v1';
}

/**
 * runc's `linux.cgroupsPath` for the cgroupfs driver: an absolute path under every mounted
 * hierarchy (v1) or under the unified root (v2). netd groups its containers under one parent,
 * as Docker does with `/docker/<id>`.
 */
export function cgroupsPath(parent: string, id: string): string {
  return `${parent.replace(/\/+$/, '')}/${id}`;
}

/**
 * What the host offers to a container's limits: Docker checks requests against it at create
 * (moby `verifyPlatformContainerResources`).
 */
export interface HostLimits {
  readonly cgroupMode: CgroupMode;
  /** CPUs the daemon may hand out (the cpuset of the cgroup root). */
  readonly cpus: ReadonlySet<number>;
  /** NUMA memory nodes. */
  readonly mems: ReadonlySet<number>;
  /** The kernel limits swap: memory.memsw.* on v1 (swap accounting), always on v2. */
  readonly swapLimit: boolean;
}

/** Read {@link HostLimits} from the cgroup mount and sysfs. */
export function detectHostLimits(root = '/sys/fs/cgroup'): HostLimits {
  const mode = detectCgroupMode(root);
  const read = (...paths: string[]) => {
    for (const p of paths) {
      try {
        const t = readFileSync(p, 'utf8').trim();
        if (t) return t;
      } catch {
        // next candidate
      }
    }
    return undefined;
  };
  const cpuList = mode === 'v2' ? read(join(root, 'cpuset.cpus.effective')) : read(join(root, 'cpuset', 'cpuset.effective_cpus'), join(root, 'cpuset', 'cpuset.cpus'));
  const memList = read('/sys/devices/system/node/online') ?? '0';
  return {
    cgroupMode: mode,
    cpus: listToSet(cpuList) ?? new Set(cpus().map((_c, i) => i)),
    mems: listToSet(memList) ?? new Set([0]),
    swapLimit: mode === 'v2' || existsSync(join(root, 'memory', 'memory.memsw.limit_in_bytes')),
  };
}

/** A kernel CPU/node list (`0-3,6`), or undefined when malformed. */
export function listToSet(text: string | undefined): Set<number> | undefined {
  if (text === undefined) return undefined;
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (!m) return undefined;
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a) return undefined;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}
