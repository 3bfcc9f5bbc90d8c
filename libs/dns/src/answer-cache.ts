import { HEADER_LEN } from './wire';

/**
 * Encoded answers keyed by (asker, question), so that a repeated question costs one buffer copy
 * instead of a lookup and a dns-packet encode (bench/dns measures the difference). The whole
 * cache is dropped when the backend's generation changes, and when it grows past `max` entries
 * (a cheap bound; the working set of a host is its containers' names).
 */
interface Cached {
  readonly buf: Buffer;
  /** Where the answer records start, their count and their (equal) length: shuffled per reply. */
  readonly rrStart: number;
  readonly rrCount: number;
  readonly rrLen: number;
  readonly tmp: Buffer;
}

export class AnswerCache {
  private readonly map = new Map<string, Cached>();
  private generation = -1;

  constructor(private readonly max = 50_000) {}

  /** Call once per query, before `get`; drops everything when the generation moved. */
  sync(generation: number): void {
    if (generation !== this.generation) {
      this.map.clear();
      this.generation = generation;
    }
  }

  /**
   * Store `reply` (encoded for a query whose question ends at `qEnd`), whose answer section holds
   * `rrCount` records of equal length and nothing follows them.
   */
  set(key: string, reply: Buffer, qEnd: number, rrCount: number): void {
    if (this.map.size >= this.max) this.map.clear();
    const rrLen = rrCount > 0 ? (reply.length - qEnd) / rrCount : 0;
    if (!Number.isInteger(rrLen)) return;
    this.map.set(key, { buf: Buffer.from(reply), rrStart: qEnd, rrCount, rrLen, tmp: Buffer.alloc(rrLen) });
  }

  /**
   * The cached reply for `query` (question ending at `qEnd`): its id, RD bit and the question as
   * sent (0x20 case randomisation survives) patched in, answers shuffled. Undefined on a miss.
   */
  get(key: string, query: Buffer, qEnd: number): Buffer | undefined {
    const c = this.map.get(key);
    if (!c) return undefined;
    const out = Buffer.allocUnsafe(c.buf.length);
    c.buf.copy(out);
    out[0] = query[0];
    out[1] = query[1];
    out[2] = (out[2] & 0xfe) | (query[2] & 0x01);
    query.copy(out, HEADER_LEN, HEADER_LEN, qEnd);
    for (let i = c.rrCount - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      if (j === i) continue;
      const a = c.rrStart + i * c.rrLen;
      const b = c.rrStart + j * c.rrLen;
      out.copy(c.tmp, 0, a, a + c.rrLen);
      out.copy(out, a, b, b + c.rrLen);
      c.tmp.copy(out, b);
    }
    return out;
  }

  get size(): number {
    return this.map.size;
  }
}
