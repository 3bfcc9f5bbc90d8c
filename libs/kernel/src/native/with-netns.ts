import { NotFoundError, SystemError } from '@app/common';
import { closeSync, fstatSync, openSync } from 'node:fs';
import type { NetnsRef } from '../netlink.port';
import { CLONE_NEWNET, setns } from './libc';

let homeFd: number | undefined;

/** An fd on the namespace this thread started in, opened once and kept for the way back. */
function home(): number {
  if (homeFd === undefined) homeFd = openSync('/proc/thread-self/ns/net', 'r');
  return homeFd;
}

/** Open a namespace file; NotFound if the path does not exist. */
export function openNetns(ref: NetnsRef): number {
  try {
    return openSync(ref.path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`network namespace ${ref.path} does not exist`);
    throw new SystemError(`open ${ref.path}: ${(e as Error).message}`, { cause: e });
  }
}

/** The inode of a namespace fd: the namespace's identity while it lives. */
export function netnsInode(fd: number): number {
  return fstatSync(fd).ino;
}

/**
 * Run `fn` with the calling thread inside the namespace `ref`, and return home before anything
 * else can run. `fn` must be synchronous: sockets it creates (netlink, dgram bind with a
 * synchronous lookup) belong to `ref` for their whole life; libuv's pool threads never move.
 */
export function withNetns<T>(ref: NetnsRef, fn: () => T): T {
  const back = home();
  const fd = openNetns(ref);
  try {
    setns(fd, CLONE_NEWNET, `enter ${ref.path}`);
    try {
      const result = fn();
      if (result instanceof Promise) throw new SystemError('withNetns: the callback must be synchronous');
      return result;
    } finally {
      returnHome(back);
    }
  } finally {
    closeSync(fd);
  }
}

/** Go back to the home namespace; failing that, the process would act on the wrong namespace. */
export function returnHome(back = home()): void {
  try {
    setns(back, CLONE_NEWNET, 'return to the home namespace');
  } catch (e) {
    // Continuing in a foreign namespace would corrupt whatever runs next: stop here.
    process.stderr.write(`netd: FATAL: ${(e as Error).message}\n`);
    process.abort();
  }
}

/** The home namespace fd (for in-process namespace creation). */
export function homeNetnsFd(): number {
  return home();
}
