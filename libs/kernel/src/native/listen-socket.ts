import koffi from 'koffi';
import { IpAddr, SystemError } from '@app/common';
import { errnoError } from '../errno';
import { libcCalls } from './libc';
import type { NetnsRef } from '../netlink.port';
import { withNetns } from './with-netns';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;

interface SocketCalls {
  socket: (domain: number, type: number, protocol: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  listen: (fd: number, backlog: number) => number;
  setsockopt: (fd: number, level: number, name: number, value: Buffer, len: number) => number;
  close: (fd: number) => number;
}

const load = libcCalls<SocketCalls>({
  socket: 'int socket(int domain, int type, int protocol)',
  bind: 'int bind(int fd, const void *addr, uint32_t len)',
  listen: 'int listen(int fd, int backlog)',
  setsockopt: 'int setsockopt(int fd, int level, int name, const void *value, uint32_t len)',
  close: 'int close(int fd)',
});

/** struct sockaddr_in / sockaddr_in6 for `ip:port` (port and address in network order). */
function sockaddr(ip: IpAddr, port: number): Buffer {
  if (ip.family === 4) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    Buffer.from(ip.toBytes()).copy(b, 4);
    return b;
  }
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  Buffer.from(ip.toBytes()).copy(b, 8);
  return b;
}

/**
 * A listening TCP socket born inside a namespace, as a file descriptor for
 * `net.Server.listen({ fd })`. Node cannot bind a TCP server inside a setns window (libuv binds
 * on listen, after the window has closed), so the socket is made, bound and put to listen
 * with plain libc calls while the thread is in the namespace; it stays in that namespace for
 * its whole life. Non-blocking and close-on-exec, as libuv expects.
 */
export function listenTcpInNetns(ns: NetnsRef, ip: IpAddr, port: number, backlog = 511): number {
  const c = load();
  return withNetns(ns, () => {
    const fd = c.socket(ip.family === 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw errnoError(koffi.errno(), `socket in ${ns.path}`);
    try {
      const one = Buffer.alloc(4);
      one.writeInt32LE(1, 0);
      if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) !== 0) throw errnoError(koffi.errno(), 'setsockopt SO_REUSEADDR');
      const addr = sockaddr(ip, port);
      if (c.bind(fd, addr, addr.length) !== 0) throw errnoError(koffi.errno(), `bind ${ip}:${port} in ${ns.path}`);
      if (c.listen(fd, backlog) !== 0) throw errnoError(koffi.errno(), `listen on ${ip}:${port} in ${ns.path}`);
      return fd;
    } catch (e) {
      c.close(fd);
      throw e instanceof Error ? e : new SystemError(String(e));
    }
  });
}
