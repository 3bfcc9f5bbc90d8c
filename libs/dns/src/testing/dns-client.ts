import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';

/** Test client: send raw bytes or a question to a DNS server over UDP or TCP. */
export interface Target {
  readonly address: string;
  readonly port: number;
}

let nextId = 1;

export function query(name: string, type: packet.RecordType = 'A', id = nextId++ & 0xffff): Buffer {
  return packet.encode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
}

/** Send `msg` over UDP; resolve with the reply, or undefined after `timeoutMs`. */
export function rawUdp(t: Target, msg: Buffer, timeoutMs = 1000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(t.address.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (r: Buffer | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    sock.on('message', (m) => finish(m));
    sock.on('error', () => finish(undefined));
    sock.send(msg, t.port, t.address);
  });
}

/** Send one length-prefixed `msg` over TCP; resolve with the reply or undefined if the server closed. */
export function rawTcp(t: Target, msg: Buffer, timeoutMs = 2000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: t.address, port: t.port });
    let acc = Buffer.alloc(0);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const finish = (r: Buffer | undefined): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on('data', (c) => {
      acc = Buffer.concat([acc, c]);
      if (acc.length >= 2 && acc.length >= acc.readUInt16BE(0) + 2) finish(acc.subarray(2, acc.readUInt16BE(0) + 2));
    });
    sock.on('error', () => finish(undefined));
    sock.on('close', () => finish(undefined));
  });
}

export async function ask(t: Target, name: string, type: packet.RecordType = 'A', tcp = false): Promise<packet.DecodedPacket> {
  const r = tcp ? await rawTcp(t, query(name, type)) : await rawUdp(t, query(name, type));
  if (!r) throw new Error(`no reply for ${name} ${type}`);
  return packet.decode(r);
}

/** The answer section's data (addresses / names), in order. */
export const datas = (p: packet.DecodedPacket): string[] => (p.answers ?? []).map((a) => String((a as { data: unknown }).data));

declare module 'dns-packet' {
  /** dns-packet decodes the header's rcode as a name; its typings omit it. */
  interface DecodedPacket {
    rcode?: string;
  }
}
