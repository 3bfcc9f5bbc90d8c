import koffi from 'koffi';
import { SystemError } from '@app/common';

// Node has no mknod(2) or setxattr(2); both are needed for overlay whiteouts and device nodes.
const S_IFIFO = 0o010000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

type Libc = {
  mknod: (path: string, mode: number, dev: bigint) => number;
  lsetxattr: (path: string, name: string, value: Buffer, size: number, flags: number) => number;
  lgetxattr: (path: string, name: string, value: Buffer, size: number) => number;
};

let libc: Libc | undefined;

function load(): Libc {
  if (!libc) {
    const lib = koffi.load('libc.so.6');
    libc = {
      mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as Libc['mknod'],
      lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as Libc['lsetxattr'],
      lgetxattr: lib.func('long lgetxattr(const char *path, const char *name, void *value, size_t size)') as Libc['lgetxattr'],
    };
  }
  return libc;
}

/** glibc's makedev(). */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export type NodeKind = 'char' | 'block' | 'fifo';

export function mknod(path: string, kind: NodeKind, perm: number, major = 0, minor = 0): void {
  const type = kind === 'char' ? S_IFCHR : kind === 'block' ? S_IFBLK : S_IFIFO;
  if (load().mknod(path, type | (perm & 0o7777), makedev(major, minor)) !== 0) {
    throw new SystemError(`mknod ${path}: errno ${koffi.errno()}`);
  }
}

export function lsetxattr(path: string, name: string, value: string): void {
  const buf = Buffer.from(value);
  if (load().lsetxattr(path, name, buf, buf.length, 0) !== 0) {
    throw new SystemError(`setxattr ${name} on ${path}: errno ${koffi.errno()}`);
  }
}

/** The xattr's value, or undefined when the file does not have it (ENODATA) or xattrs are unsupported. */
export function lgetxattr(path: string, name: string): string | undefined {
  const buf = Buffer.alloc(256);
  const n = Number(load().lgetxattr(path, name, buf, buf.length));
  return n < 0 ? undefined : buf.subarray(0, n).toString();
}
