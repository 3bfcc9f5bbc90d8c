import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import type { NetnsEnter } from '../dns-server';

/** How the fake answers one question: drop it, fail with an rcode, or answer (maybe truncated over UDP). */
export type UpstreamBehaviour =
  | { readonly kind: 'drop' }
  | { readonly kind: 'rcode'; readonly rcode: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN' }
  | { readonly kind: 'answer'; readonly addresses: readonly string[]; readonly truncateUdp?: boolean; readonly delayMs?: number; readonly wrongId?: boolean }
  /** A zone: A records for the names listed, NXDOMAIN for the rest; `truncateUdp` names answer TC over UDP. */
  | { readonly kind: 'zone'; readonly records: Readonly<Record<string, readonly string[]>>; readonly truncateUdp?: readonly string[] };

/** Where to listen instead of a random loopback port: a fixed port inside another namespace. */
export interface FakeUpstreamPlacement {
  readonly port: number;
  /** Bind the UDP socket inside this namespace window. */
  readonly enter: NetnsEnter;
  /** A TCP socket already listening on `port` in that namespace (the kernel lib's listenTcpInNetns). */
  readonly tcpFd: number;
}

/**
 * A fake upstream resolver on loopback (UDP and TCP on the same random port) that the forwarder
 * tests point at instead of any real resolver. Records what it was asked, per transport.
 */
export class FakeUpstream {
  readonly asked: { transport: 'udp' | 'tcp'; name: string }[] = [];
  private udp!: dgram.Socket;
  private tcp!: net.Server;
  port = 0;

  constructor(
    public behaviour: UpstreamBehaviour,
    readonly address = '127.0.0.1',
  ) {}

  get server(): string {
    return `${this.address}:${this.port}`;
  }

  async start(at?: FakeUpstreamPlacement): Promise<this> {
    this.tcp = net.createServer((c) => {
      c.on('error', () => c.destroy());
      c.on('data', (d) => {
        const reply = this.reply(d.subarray(2), 'tcp');
        if (!reply) return;
        const len = Buffer.alloc(2);
        len.writeUInt16BE(reply.length);
        c.end(Buffer.concat([len, reply]));
      });
    });
    if (at) await new Promise<void>((r) => this.tcp.listen({ fd: at.tcpFd }, () => r()));
    else await new Promise<void>((r) => this.tcp.listen({ host: this.address, port: 0 }, () => r()));
    this.port = (this.tcp.address() as net.AddressInfo).port;
    const lookup = (host: string, _o: unknown, cb: (e: null, a: string, f: number) => void): void => cb(null, host, 4);
    this.udp = dgram.createSocket({ type: 'udp4', lookup: lookup as never });
    this.udp.on('message', (m, rinfo) => {
      const reply = this.reply(m, 'udp');
      const delay = this.behaviour.kind === 'answer' ? this.behaviour.delayMs ?? 0 : 0;
      if (reply) setTimeout(() => this.udp.send(reply, rinfo.port, rinfo.address), delay);
    });
    await new Promise<void>((r) => {
      this.udp.once('listening', () => r());
      if (at) at.enter(() => this.udp.bind(this.port, this.address));
      else this.udp.bind(this.port, this.address);
    });
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.udp.close(() => r()));
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }

  private reply(msg: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    let q: packet.DecodedPacket;
    try {
      q = packet.decode(msg);
    } catch {
      return undefined;
    }
    const question = q.questions![0];
    this.asked.push({ transport, name: question.name });
    const b = this.behaviour;
    if (b.kind === 'drop') return undefined;
    const base = { id: q.id, type: 'response' as const, questions: [question] };
    if (b.kind === 'zone') {
      const found = b.records[question.name.toLowerCase()];
      if (!found) return packet.encode({ ...base, flags: packet.RECURSION_AVAILABLE | rcodeNumber('NXDOMAIN') });
      if (transport === 'udp' && b.truncateUdp?.includes(question.name.toLowerCase())) {
        return packet.encode({ ...base, flags: packet.TRUNCATED_RESPONSE | packet.RECURSION_AVAILABLE });
      }
      const answers = question.type === 'A' ? found.map((data) => ({ type: 'A' as const, name: question.name, ttl: 60, data })) : [];
      return packet.encode({ ...base, flags: packet.RECURSION_AVAILABLE, answers });
    }
    if (b.kind === 'rcode') return packet.encode({ ...base, flags: packet.RECURSION_AVAILABLE | rcodeNumber(b.rcode) });
    if (b.truncateUdp && transport === 'udp') {
      return packet.encode({ ...base, flags: packet.TRUNCATED_RESPONSE | packet.RECURSION_AVAILABLE });
    }
    const answers = b.addresses.map((data) => ({ type: 'A' as const, name: question.name, ttl: 60, data }));
    return packet.encode({ ...base, id: b.wrongId ? ((q.id ?? 0) + 1) & 0xffff : q.id, flags: packet.RECURSION_AVAILABLE, answers });
  }
}

function rcodeNumber(r: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN'): number {
  return { SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 }[r];
}
