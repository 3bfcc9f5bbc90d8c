import { SystemError } from '@app/common';
import koffi from 'koffi';
import { errnoError } from '../errno';

/**
 * The few libc calls Node does not offer, through koffi. Each throws a NetdError built from
 * errno (EEXIST → Conflict, ENOENT → NotFound, …, others System with the errno name).
 */
export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 1 << 18;
export const MS_SHARED = 1 << 20;
export const MNT_DETACH = 2;

interface Libc {
  setns: (fd: number, nstype: number) => number;
  unshare: (flags: number) => number;
  mount: (source: string | null, target: string, fstype: string | null, flags: number, data: Buffer | null) => number;
  umount2: (target: string, flags: number) => number;
}

let library: ReturnType<typeof koffi.load> | undefined;
const declared = new Map<string, unknown>();

/**
 * libc's functions for every module of netd that calls libc through koffi: the library is loaded
 * once and each prototype declared once. `calls` maps names to C prototypes; the result loads on
 * first use, so a module that is never used never touches libc.
 */
export function libcCalls<T extends object>(prototypes: { readonly [K in keyof T]: string }): () => T {
  let resolved: T | undefined;
  return () => {
    if (resolved) return resolved;
    try {
      library ??= koffi.load('libc.so.6');
      const out: Record<string, unknown> = {};
      for (const [name, prototype] of Object.entries(prototypes) as [string, string][]) {
        if (!declared.has(prototype)) declared.set(prototype, library.func(prototype));
        out[name] = declared.get(prototype);
      }
      return (resolved = out as T);
    } catch (e) {
      throw new SystemError(`cannot load libc through koffi: ${(e as Error).message}`, { cause: e });
    }
  };
}

const load = libcCalls<Libc>({
  setns: 'int setns(int fd, int nstype)',
  unshare: 'int unshare(int flags)',
  mount: 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)',
  umount2: 'int umount2(const char *target, int flags)',
});

function check(rc: number, context: string): void {
  if (rc !== 0) throw errnoError(koffi.errno(), context);
}

export function setns(fd: number, nstype: number, context = 'setns'): void {
  check(load().setns(fd, nstype), context);
}

export function unshare(flags: number): void {
  check(load().unshare(flags), 'unshare');
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void {
  check(load().mount(source, target, fstype, flags, data === undefined ? null : Buffer.from(`${data}\0`)), `mount ${source ?? 'none'} on ${target}`);
}

export function umount2(target: string, flags: number): void {
  check(load().umount2(target, flags), `umount ${target}`);
}
