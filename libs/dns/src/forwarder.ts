import { randomInt } from 'node:crypto';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { IpAddr } from '@app/common';
import type { NetnsEnter } from './dns-server';
import { parseUpstream } from './memory-dns-backend';
import { HEADER_LEN, RCODE, bareReply, isResponse, isTruncated, rcodeOf } from './wire';

export interface ForwarderOptions {
  /** Per-upstream wait before failing over (Docker: 4 s). */
  readonly timeoutMs?: number;
  /** Forwards in flight at once; beyond it queries get REFUSED (Docker: 1024). */
  readonly maxInFlight?: number;
  /**
   * Open upstream sockets inside this namespace (the one netd programs, when that is not the
   * process's own: a daemon started with --host-netns). Both socket kinds get a synchronous
   * `lookup`, so libuv creates their fds during the call, inside the setns window.
   */
  readonly enter?: NetnsEnter;
}

type Upstream = ReturnType<typeof parseUpstream>;

/** Largest TCP message we accept from an upstream (RFC 1035 length field allows 65,535). */
const MAX_TCP_MSG = 65535;

/**
 * Forwards queries netd does not answer itself. Sockets are opened in the daemon's own
 * namespace, so a loopback upstream from the host's resolv.conf (127.0.0.53) is reached on the
 * host side, as Docker does. Each attempt uses a fresh socket (random source port) and a fresh
 * random id, and a reply is accepted only from the server asked, with that id and question:
 * spoofed replies would need to guess 32 bits.
 */
export class Forwarder {
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private inFlightCount = 0;
  private readonly enter: NetnsEnter;

  constructor(opts: ForwarderOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 4000;
    this.maxInFlight = opts.maxInFlight ?? 1024;
    this.enter = opts.enter ?? ((fn) => fn());
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /**
   * Ask `servers` in order (at most 3) and return the first usable reply, with the query's id.
   * Fails over on timeout, network error, SERVFAIL or REFUSED; a truncated UDP reply is asked
   * again over TCP. `viaTcp`: the client asked over TCP, so do we. Never rejects: all failed →
   * SERVFAIL, over the cap → REFUSED.
   */
  async forward(query: Buffer, qEnd: number, servers: readonly string[], viaTcp = false): Promise<Buffer> {
    if (this.inFlightCount >= this.maxInFlight) return bareReply(query, RCODE.REFUSED, qEnd);
    this.inFlightCount++;
    try {
      for (const text of servers.slice(0, 3)) {
        const up = parseUpstream(text);
        let reply = viaTcp ? await this.tcp(query, qEnd, up) : await this.udp(query, qEnd, up);
        if (reply && !viaTcp && isTruncated(reply)) reply = await this.tcp(query, qEnd, up);
        if (!reply) continue;
        const rcode = rcodeOf(reply);
        if (rcode === RCODE.SERVFAIL || rcode === RCODE.REFUSED) continue;
        reply[0] = query[0];
        reply[1] = query[1];
        return reply;
      }
      return bareReply(query, RCODE.SERVFAIL, qEnd);
    } finally {
      this.inFlightCount--;
    }
  }

  private udp(query: Buffer, qEnd: number, up: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const { out, id } = withNewId(query);
      const sock = dgram.createSocket({ type: up.family === 4 ? 'udp4' : 'udp6', lookup: literalLookup as never });
      let settled = false;
      const done = (r: Buffer | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.close();
        resolve(r);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('message', (m, rinfo) => {
        if (rinfo.port !== up.port || canonical(rinfo.address) !== up.address) return;
        if (matches(m, id, out, qEnd)) done(m);
      });
      try {
        this.enter(() => sock.bind(0, up.family === 4 ? '0.0.0.0' : '::'));
      } catch {
        return done(undefined);
      }
      // Connected, so the kernel hands back an ICMP port unreachable as ECONNREFUSED ('error'):
      // an upstream with nothing listening fails over at once instead of after timeoutMs.
      // A failed connect (ENETUNREACH: no route in the namespace) calls back with the error and
      // leaves the socket unconnected, where send(out, cb) would throw: fail over instead.
      const connected = (err?: Error): void => {
        if (err) return done(undefined);
        try {
          sock.send(out, (e) => e && done(undefined));
        } catch {
          done(undefined);
        }
      };
      sock.connect(up.port, up.address, connected as () => void);
    });
  }

  private tcp(query: Buffer, qEnd: number, up: Upstream): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const { out, id } = withNewId(query);
      // A host that is not an IP literal makes net.connect call `lookup` (ours, synchronous) and
      // connect within this call; a literal would defer the connect to the next tick, outside
      // the namespace window.
      let sock: net.Socket;
      try {
        sock = this.enter(() =>
          net.connect({ host: UPSTREAM_HOST, port: up.port, family: up.family, lookup: fixedLookup(up.address, up.family) as never }),
        );
      } catch {
        return resolve(undefined);
      }
      let settled = false;
      let acc = Buffer.alloc(0);
      const done = (r: Buffer | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      sock.on('error', () => done(undefined));
      sock.on('close', () => done(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.write(Buffer.concat([len, out]));
      });
      sock.on('data', (chunk) => {
        acc = Buffer.concat([acc, chunk]);
        if (acc.length < 2) return;
        const n = acc.readUInt16BE(0);
        if (acc.length > MAX_TCP_MSG + 2) return done(undefined);
        if (acc.length < n + 2) return;
        const m = acc.subarray(2, n + 2);
        done(matches(m, id, out, qEnd) ? Buffer.from(m) : undefined);
      });
    });
  }
}

const UPSTREAM_HOST = 'upstream.netd.invalid';

type LookupCb = (e: Error | null, a: string, f: number) => void;

function literalLookup(host: string, _o: unknown, cb: LookupCb): void {
  cb(null, host, net.isIP(host));
}

function fixedLookup(address: string, family: 4 | 6) {
  return (_host: string, opts: { all?: boolean }, cb: (e: Error | null, a: unknown, f?: number) => void): void =>
    opts?.all ? cb(null, [{ address, family }]) : cb(null, address, family);
}

function withNewId(query: Buffer): { out: Buffer; id: number } {
  const out = Buffer.from(query);
  const id = randomInt(0, 0x10000);
  out.writeUInt16BE(id, 0);
  return { out, id };
}

/** A reply to `sent`: same id, a response, and the same question (case-insensitively). */
function matches(m: Buffer, id: number, sent: Buffer, qEnd: number): boolean {
  if (m.length < HEADER_LEN || m.readUInt16BE(0) !== id || !isResponse(m)) return false;
  if (qEnd <= HEADER_LEN || m.readUInt16BE(4) === 0) return true;
  if (m.length < qEnd) return false;
  return m.toString('latin1', HEADER_LEN, qEnd).toLowerCase() === sent.toString('latin1', HEADER_LEN, qEnd).toLowerCase();
}

function canonical(address: string): string {
  return IpAddr.tryParse(address)?.toString() ?? address;
}
