import { existsSync } from 'node:fs';
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
