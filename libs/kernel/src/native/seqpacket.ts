import { SystemError } from '@app/common';
import koffi from 'koffi';
import { closeSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { errnoError } from '../errno';
import { libcCalls } from './libc';

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;

interface Calls {
  socket: (domain: number, type: number, protocol: number) => number;
  connect: (fd: number, addr: Buffer, len: number) => number;
  close: (fd: number) => number;
}

const load = libcCalls<Calls>({
  socket: 'int socket(int domain, int type, int protocol)',
  connect: 'int connect(int fd, const void *addr, uint32_t len)',
  close: 'int close(int fd)',
});

/** The internal Pipe handle class: the only public-enough way to wrap a non-stream socket fd. */
interface PipeHandle {
  open(fd: number): number;
}
type PipeBinding = { Pipe: new (type: number) => PipeHandle; constants: { SOCKET: number } };

/**
 * Connect to a SOCK_SEQPACKET unix socket (conmon's attach socket) and wrap it as a
 * `net.Socket`. Node cannot make such sockets, and `new Socket({ fd })` refuses them (libuv
 * guesses only stream and datagram types), so the fd is made with libc calls and opened as a
 * pipe handle: libuv then read()s and write()s it as it would a stream. On a seqpacket socket
 * each read returns exactly one packet and each write sends one, so every 'data' event (in
 * flowing mode) is one packet. The path is reached through /proc/self/fd, so bundle paths
 * longer than sun_path's 108 bytes work. NotFound if the socket does not exist.
 */
export function connectSeqpacket(path: string): Socket {
  const c = load();
  let pathFd: number;
  try {
    pathFd = openSync(path, O_PATH);
  } catch (e) {
    throw errnoError((e as NodeJS.ErrnoException).code ?? 'EIO', `open ${path}`, e);
  }
  const fd = c.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  try {
    if (fd < 0) throw errnoError(koffi.errno(), 'socket AF_UNIX SOCK_SEQPACKET');
    const addr = Buffer.alloc(110);
    addr.writeUInt16LE(AF_UNIX, 0);
    const target = `/proc/self/fd/${pathFd}`;
    addr.write(target, 2);
    if (c.connect(fd, addr, 2 + Buffer.byteLength(target) + 1) !== 0) throw errnoError(koffi.errno(), `connect ${path}`);
    const { Pipe, constants } = (process as unknown as { binding(name: string): PipeBinding }).binding('pipe_wrap');
    const handle = new Pipe(constants.SOCKET);
    const rc = handle.open(fd);
    if (rc !== 0) throw new SystemError(`wrap seqpacket socket ${path}: libuv error ${rc}`);
    return new Socket({ handle, readable: true, writable: true } as unknown as ConstructorParameters<typeof Socket>[0]);
  } catch (e) {
    if (fd >= 0) c.close(fd);
    throw e;
  } finally {
    closeSync(pathFd);
  }
}
