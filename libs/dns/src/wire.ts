/**
 * Byte-level helpers for the parts of a DNS message the server touches without a full decode:
 * the header, the single question, and error / truncated replies built from the query itself.
 * Full messages are decoded and encoded with dns-packet; these exist so that the hot path and
 * garbage input (which dns-packet cannot decode) do not need it.
 */
export const HEADER_LEN = 12;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const TYPE = { A: 1, PTR: 12, AAAA: 28, OPT: 41 } as const;
/** Largest UDP answer without EDNS (RFC 1035 §4.2.1). */
export const UDP_CLASSIC_MAX = 512;

export const isResponse = (msg: Buffer): boolean => (msg[2] & 0x80) !== 0;
export const opcodeOf = (msg: Buffer): number => (msg[2] >> 3) & 0x0f;
export const rcodeOf = (msg: Buffer): number => msg[3] & 0x0f;
export const isTruncated = (msg: Buffer): boolean => (msg[2] & 0x02) !== 0;
export const qdCount = (msg: Buffer): number => msg.readUInt16BE(4);
export const anCount = (msg: Buffer): number => msg.readUInt16BE(6);
export const nsCount = (msg: Buffer): number => msg.readUInt16BE(8);
export const arCount = (msg: Buffer): number => msg.readUInt16BE(10);

/**
 * End offset (past QTYPE and QCLASS) of the first question, or -1 if it does not parse as a
 * plain name: labels over 63 bytes, compression pointers, a name over 255 bytes, or a short
 * message. Pointers are legal but never sent by stub resolvers in a question; such queries take
 * the slow path, where dns-packet decodes them.
 */
export function questionEnd(msg: Buffer): number {
  let off = HEADER_LEN;
  const n = msg.length;
  while (off < n) {
    const len = msg[off];
    if (len === 0) {
      const end = off + 5;
      return end <= n && end - HEADER_LEN <= 255 + 4 ? end : -1;
    }
    if (len > 63) return -1;
    off += len + 1;
  }
  return -1;
}

/**
 * A reply with no records, built from the query's bytes: `rcode`, the TC bit if asked, and the
 * question copied back when `qEnd` > 0 (dig and busybox want to see it; for FORMERR there may be
 * none to copy).
 */
export function bareReply(msg: Buffer, rcode: number, qEnd: number, truncated = false): Buffer {
  const withQ = qEnd > HEADER_LEN;
  const out = Buffer.alloc(withQ ? qEnd : HEADER_LEN);
  out[0] = msg[0];
  out[1] = msg[1];
  out[2] = 0x80 | (msg[2] & 0x79) | (truncated ? 0x02 : 0); // QR, opcode and RD kept
  out[3] = 0x80 | rcode; // RA
  if (withQ) {
    out.writeUInt16BE(1, 4);
    msg.copy(out, HEADER_LEN, HEADER_LEN, qEnd);
  }
  return out;
}

/** The address in a reverse name (`4.3.2.1.in-addr.arpa`, 32 nibbles of `ip6.arpa`), or undefined. */
export function reverseNameToAddress(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) < 256)) return undefined;
    return parts.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
    const hex = nibbles.reverse().join('');
    const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0{1,3}/, ''));
    return groups.join(':');
  }
  return undefined;
}
