import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { IpAddr, InvalidParameterError, SystemError } from '@app/common';
import { DnsBackend, ListenerScope } from './dns-backend';
import { DnsResolver, Reply, Transport } from './dns-resolver';
import { Forwarder } from './forwarder';

/**
 * Runs `fn` synchronously with the calling thread inside another network namespace (a setns
 * window), then switches back: the kernel lib's `withNetns(ref, fn)`, curried by the daemon.
 */
export type NetnsEnter = <T>(fn: () => T) => T;

export interface UdpListenOptions {
  readonly address: string;
  readonly port: number;
  readonly scope: ListenerScope;
  /**
   * Bind inside this namespace. The socket is created with a synchronous `lookup`, so libuv
   * creates its fd during `bind`, inside the window (building-blocks.md, "DNS").
   */
  readonly enter?: NetnsEnter;
}

export interface TcpListenOptions {
  readonly scope: ListenerScope;
  readonly address?: string;
  readonly port?: number;
  /**
   * An already bound, listening TCP socket (e.g. made by the kernel lib inside a container's
   * namespace: net.Server cannot bind inside a setns window, its listen resolves the host
   * asynchronously). Used instead of address/port.
   */
  readonly fd?: number;
}

export interface DnsListener {
  readonly transport: Transport;
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface DnsServerOptions {
  readonly forwarder?: Forwarder;
  /** Called with errors that reached no client (a failed send, a bug); never with bad input. */
  readonly onError?: (err: unknown) => void;
  /** A TCP connection idle this long is closed (RFC 7766 §6.2.3 suggests seconds). */
  readonly tcpIdleMs?: number;
}

/** Largest number of queries one TCP connection may have outstanding. */
const TCP_MAX_PENDING = 64;

/**
 * The socket side of netd's DNS: any number of UDP and TCP listeners, each tagged with the
 * scope it answers for, all feeding one `DnsResolver`.
 *
 * Placement: netd listens on 127.0.0.11:53 inside each container's namespace (Docker's choice),
 * scope `{ sandbox }`. Measured by bench/dns (dnsperf from the container namespace, same server
 * code): 56k / 43k q/s there against 25k / 29k q/s on the gateway address over a veth (two
 * runs, shared 2-core machine). Behaviour agrees: the socket itself names the asker (no trust
 * in source addresses), resolv.conf stays valid across connect/disconnect, internal networks
 * need no firewall hole, and nothing binds port 53 on host addresses (no clash with a host
 * dnsmasq). Cost: one fd pair per container; the `{ network }` scope remains for a gateway
 * listener (aardvark's way) where a namespace socket is impossible.
 */
export class DnsServer {
  readonly resolver: DnsResolver;
  private readonly listeners = new Set<DnsListener>();
  private readonly onError: (err: unknown) => void;
  private readonly tcpIdleMs: number;

  constructor(backend: DnsBackend, opts: DnsServerOptions = {}) {
    this.resolver = new DnsResolver(backend, opts.forwarder);
    this.onError = opts.onError ?? (() => undefined);
    this.tcpIdleMs = opts.tcpIdleMs ?? 10_000;
  }

  listenUdp(opts: UdpListenOptions): Promise<DnsListener> {
    const ip = IpAddr.parse(opts.address);
    // Synchronous, and used by send() too: every address handed to this socket is a literal.
    const syncLookup = (host: string, _o: unknown, cb: (e: Error | null, a: string, f: number) => void): void =>
      cb(null, host, net.isIP(host) || ip.family);
    const sock = dgram.createSocket({ type: ip.family === 4 ? 'udp4' : 'udp6', lookup: syncLookup as never });
    const { scope } = opts;
    let closed = false;
    sock.once('close', () => (closed = true));
    const send = (r: Reply, rinfo: dgram.RemoteInfo): void => {
      // No per-send callback: a failed send surfaces as the socket's 'error' event. A forward
      // may finish after close(), when send() would throw.
      if (!r || closed) return;
      try {
        sock.send(r, rinfo.port, rinfo.address);
      } catch (err) {
        this.onError(err);
      }
    };
    sock.on('message', (msg, rinfo) => {
      try {
        const r = this.resolver.handle(msg, scope, rinfo.address, 'udp');
        if (r instanceof Promise) r.then((b) => send(b, rinfo)).catch(this.onError);
        else send(r, rinfo);
      } catch (err) {
        this.onError(err);
      }
    });
    return new Promise((resolve, reject) => {
      sock.once('error', (err) => reject(new SystemError(`DNS listen udp ${opts.address}:${opts.port}`, { cause: err })));
      sock.once('listening', () => {
        sock.removeAllListeners('error');
        sock.on('error', this.onError);
        const a = sock.address();
        const l: DnsListener = {
          transport: 'udp',
          address: a.address,
          port: a.port,
          close: () => new Promise<void>((res) => sock.close(() => res())).finally(() => this.listeners.delete(l)),
        };
        this.listeners.add(l);
        resolve(l);
      });
      const bind = (): void => {
        sock.bind(opts.port, opts.address);
      };
      if (opts.enter) opts.enter(bind);
      else bind();
    });
  }

  listenTcp(opts: TcpListenOptions): Promise<DnsListener> {
    if (opts.fd === undefined && (opts.address === undefined || opts.port === undefined)) {
      throw new InvalidParameterError('DNS tcp listener needs an fd or an address and port');
    }
    const server = net.createServer((conn) => this.serveTcp(conn, opts.scope));
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new SystemError(`DNS listen tcp ${opts.address}:${opts.port}`, { cause: err })));
      server.once('listening', () => {
        server.removeAllListeners('error');
        server.on('error', this.onError);
        const a = server.address() as net.AddressInfo;
        const l: DnsListener = {
          transport: 'tcp',
          address: a.address,
          port: a.port,
          close: () => new Promise<void>((res) => server.close(() => res())).finally(() => this.listeners.delete(l)),
        };
        this.listeners.add(l);
        resolve(l);
      });
      if (opts.fd !== undefined) server.listen({ fd: opts.fd });
      else server.listen({ host: opts.address, port: opts.port });
    });
  }

  /** Close every listener (open TCP connections are ended by their idle timeout). */
  async close(): Promise<void> {
    await Promise.all([...this.listeners].map((l) => l.close()));
  }

  private serveTcp(conn: net.Socket, scope: ListenerScope): void {
    let buf = Buffer.alloc(0);
    let pending = 0;
    const source = conn.remoteAddress ?? '';
    conn.setTimeout(this.tcpIdleMs, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    const write = (r: Reply): void => {
      pending--;
      if (!r || conn.destroyed) return;
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(r.length);
      conn.write(Buffer.concat([len, r]));
    };
    conn.on('data', (chunk) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < n + 2) break;
        const msg = buf.subarray(2, n + 2);
        buf = buf.subarray(n + 2);
        if (++pending > TCP_MAX_PENDING) return void conn.destroy();
        try {
          const r = this.resolver.handle(Buffer.from(msg), scope, source, 'tcp');
          if (r === undefined) return void conn.destroy(); // not a query: the stream is garbage
          if (r instanceof Promise) r.then(write, (err) => (this.onError(err), conn.destroy()));
          else write(r);
        } catch (err) {
          this.onError(err);
          return void conn.destroy();
        }
      }
    });
  }
}
