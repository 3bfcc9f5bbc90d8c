import { NotFoundError, SystemError } from '@app/common';
import { readFileSync, writeFileSync } from 'node:fs';
import { errnoError } from './errno';
import { withNetns } from './native/with-netns';
import type { NetnsRef } from './netlink.port';
import { Sysctl } from './sysctl.port';
import { checkSysctlValue, sysctlPath } from './sysctl-key';

/**
 * Sysctl through /proc/sys. A /proc/sys/net file shows the namespace of the thread that opens
 * it, so each read and write opens the file inside a withNetns window.
 */
export class ProcSysctl extends Sysctl {
  async get(ns: NetnsRef, key: string): Promise<string> {
    const path = `/proc/sys/${sysctlPath(key)}`;
    return this.io(ns, key, () => readFileSync(path, 'utf8')).trim();
  }

  async set(ns: NetnsRef, key: string, value: string): Promise<void> {
    const path = `/proc/sys/${sysctlPath(key)}`;
    const current = this.io(ns, key, () => readFileSync(path, 'utf8')).trim();
    checkSysctlValue(key, value);
    if (current === value.trim().split(/\s+/).join('\t')) return;
    this.io(ns, key, () => writeFileSync(path, value));
  }

  private io<T>(ns: NetnsRef, key: string, fn: () => T): T {
    try {
      return withNetns(ns, fn);
    } catch (e) {
      if (e instanceof NotFoundError || e instanceof SystemError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw code ? errnoError(code, `sysctl ${key}`, e) : e;
    }
  }
}
