import { InvalidParameterError } from '@app/common';

/**
 * The path under /proc/sys for a dotted key: `net.ipv4.ip_forward` → `net/ipv4/ip_forward`.
 * As in sysctl(8), a `/` inside a segment stands for a `.` in the file name (interface
 * `eth0.100` → `net.ipv4.conf.eth0/100.forwarding`). Anything that could leave /proc/sys/net
 * or /proc/sys/<top> is InvalidParameter.
 */
export function sysctlPath(key: string): string {
  const segments = typeof key === 'string' ? key.split('.') : [];
  const parts = segments.map((s) => s.replace(/\//g, '.'));
  const ok =
    segments.length >= 2 &&
    segments.every((s) => /^[A-Za-z0-9_@/:+-]+$/.test(s)) &&
    parts.every((p) => p !== '.' && p !== '..');
  if (!ok) throw new InvalidParameterError(`invalid sysctl key "${key}"`);
  return parts.join('/');
}

/** Values the kernel's integer handlers accept: integers separated by blanks. */
export function checkSysctlValue(key: string, value: string): void {
  if (typeof value !== 'string' || !/^\s*-?\d+(\s+-?\d+)*\s*$/.test(value)) {
    throw new InvalidParameterError(`invalid value "${value}" for sysctl ${key}`);
  }
}
