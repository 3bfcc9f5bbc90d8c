/**
 * Hand-built tar bytes for tests that must produce what no well-behaved writer would: bad
 * checksums, sizes that lie, unknown type flags, 300-byte names, huge pax headers. tar-stream's
 * packer refuses most of these, so the 512-byte ustar header is written here directly.
 */
import { Prng } from '@app/common/testing';

export interface RawEntry {
  name: string;
  /** ustar type flag: '0' file, '1' hard link, '2' symlink, '3' char, '4' block, '5' dir, '6' fifo, 'x' pax, 'L' GNU long name … */
  type?: string;
  data?: Buffer;
  /** The size written in the header (default: data length), to make it lie. */
  size?: number;
  linkname?: string;
  mode?: number;
  /** A checksum to write instead of the right one. */
  checksum?: number;
  devmajor?: number;
  devminor?: number;
}

const octal = (n: number, width: number) => `${n.toString(8).padStart(width - 1, '0')}\0`;

/** One 512-byte ustar header; a name over 100 bytes is cut (pax or GNU entries carry long names). */
export function rawHeader(e: RawEntry): Buffer {
  const b = Buffer.alloc(512);
  b.write(e.name.slice(0, 100), 0, 100, 'latin1');
  b.write(octal(e.mode ?? (e.type === '5' ? 0o755 : 0o644), 8), 100, 'latin1');
  b.write(octal(0, 8), 108, 'latin1');
  b.write(octal(0, 8), 116, 'latin1');
  const size = e.size ?? e.data?.length ?? 0;
  if (size < 8 ** 11) b.write(octal(size, 12), 124, 'latin1');
  else {
    // base-256 (GNU) for sizes that do not fit 11 octal digits
    b[124] = 0x80;
    let v = BigInt(size);
    for (let i = 135; i > 124; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  }
  b.write(octal(0, 12), 136, 'latin1');
  b.write(e.type ?? '0', 156, 1, 'latin1');
  if (e.linkname) b.write(e.linkname.slice(0, 100), 157, 100, 'latin1');
  b.write('ustar\x0000', 257, 'latin1');
  b.write(octal(e.devmajor ?? 0, 8), 329, 'latin1');
  b.write(octal(e.devminor ?? 0, 8), 337, 'latin1');
  fixChecksum(b, 0, e.checksum);
  return b;
}

/** Write the header checksum of the header at `at` (or `forced`). */
export function fixChecksum(tar: Buffer, at: number, forced?: number): void {
  tar.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += tar[i];
  tar.write(`${(forced ?? sum).toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A tar of raw entries (data padded to 512), ended by two zero blocks unless `end` is false. */
export function rawTar(entries: readonly RawEntry[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(rawHeader(e));
    if (e.data) parts.push(e.data, pad(e.data.length));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A pax extended header entry carrying `records` (key → value), to precede the entry it applies to. */
export function paxEntry(records: Record<string, string>): RawEntry {
  const lines = Object.entries(records).map(([k, v]) => {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
    return `${len}${body}`;
  });
  return { name: 'PaxHeaders/x', type: 'x', data: Buffer.from(lines.join('')) };
}

/** Offsets of the entry headers of a well-formed tar (stops at the first zero block). */
export function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    if (tar.subarray(at, at + 512).every((x) => x === 0)) break;
    out.push(at);
    const size = parseInt(tar.toString('latin1', at + 124, at + 136).replace(/\0.*$/, '').trim() || '0', 8);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

export interface Mutant {
  name: string;
  bytes: Buffer;
}

const WEIRD_TYPES = ['1', '2', '3', '4', '6', '7', 'x', 'g', 'L', 'K', 'V', 'S', 'Z', '\0', '9'];

/**
 * Hostile variants of a valid tar: truncations at every header and data boundary (and one byte
 * either side), then `random` seeded mutations: flipped bytes (with and without the checksum
 * repaired, so the change reaches past the header check), sizes that lie, other type flags,
 * link names that escape or loop, names of 300 bytes or with `..`.
 */
export function mutants(valid: Buffer, seed: number, random: number): Mutant[] {
  const out: Mutant[] = [];
  const heads = headerOffsets(valid);
  const cuts = new Set<number>([0, 1, 511, valid.length - 1024, valid.length - 1]);
  for (const h of heads) for (const d of [-1, 0, 1, 100, 511, 512, 513]) cuts.add(h + d);
  for (const c of [...cuts].filter((c) => c > 0 && c < valid.length).sort((a, b) => a - b)) {
    out.push({ name: `truncated at ${c}`, bytes: valid.subarray(0, c) });
  }
  const rng = new Prng(seed);
  for (let i = 0; i < random; i++) {
    const b = Buffer.from(valid);
    const h = heads.length > 0 ? rng.pick(heads) : 0;
    const kind = rng.int(8);
    let name: string;
    switch (kind) {
      case 0: {
        const at = rng.int(b.length);
        b[at] ^= 1 << rng.int(8);
        name = `flip at ${at}`;
        break;
      }
      case 1: {
        const at = h + rng.int(512);
        b[at] = rng.int(256);
        fixChecksum(b, h);
        name = `header byte ${at - h} of entry at ${h} set, checksum repaired`;
        break;
      }
      case 2: {
        const size = rng.pick([0, 1, 511, 513, 1 << 20, 8 ** 11 - 1, rng.int(1 << 16)]);
        b.write(octal(size, 12), h + 124, 'latin1');
        fixChecksum(b, h);
        name = `size of entry at ${h} set to ${size}`;
        break;
      }
      case 3: {
        const t = rng.pick(WEIRD_TYPES);
        b.write(t, h + 156, 1, 'latin1');
        if (t === '3' || t === '4') b.write(octal(rng.int(300), 8), h + 329, 'latin1');
        fixChecksum(b, h);
        name = `type of entry at ${h} set to ${JSON.stringify(t)}`;
        break;
      }
      case 4: {
        const t = rng.pick(['1', '2']);
        const link = rng.pick(['/etc/passwd', '../../../etc/shadow', 'x/../../..', '.', '/', 'missing', 'self-loop', '../../../../proc/self/environ']);
        b.write(t, h + 156, 1, 'latin1');
        b.fill(0, h + 157, h + 257);
        b.write(link === 'self-loop' ? b.toString('latin1', h, h + 100).replace(/\0.*$/, '') : link, h + 157, 'latin1');
        fixChecksum(b, h);
        name = `entry at ${h} made a ${t === '1' ? 'hard link' : 'symlink'} to ${link}`;
        break;
      }
      case 5: {
        const n = rng.pick(['../escape', '/abs/file', 'a/../../b', `${'n'.repeat(99)}`, '.wh..wh..opq', '.wh.', 'dev/../..', './']);
        b.fill(0, h, h + 100);
        b.write(n, h, 'latin1');
        fixChecksum(b, h);
        name = `name of entry at ${h} set to ${n.slice(0, 20)}`;
        break;
      }
      case 6: {
        const at = rng.int(b.length);
        const len = 1 + rng.int(64);
        for (let j = at; j < Math.min(b.length, at + len); j++) b[j] = rng.int(256);
        name = `${len} random bytes at ${at}`;
        break;
      }
      default: {
        // a long name or a pax header of doubtful content in front of one entry
        const extra = rng.pick([
          paxEntry({ path: 'p'.repeat(300) }),
          paxEntry({ path: `${'d'.repeat(200)}/${'f'.repeat(200)}` }),
          paxEntry({ size: 'NaN' }),
          paxEntry({ size: '-5' }),
          paxEntry({ size: '99999999999999999999' }),
          paxEntry({ linkpath: '/etc/passwd', path: 'hl' }),
          { name: '././@LongLink', type: 'L', data: Buffer.from(`${'l'.repeat(300)}\0`) },
          { name: 'fifo', type: '6' },
          { name: 'loop', type: '2', linkname: 'loop' },
        ] as RawEntry[]);
        const head = rawTar([extra], false);
        name = `entry ${JSON.stringify(extra.name)} (type ${extra.type}) inserted before the entry at ${h}`;
        out.push({ name, bytes: Buffer.concat([b.subarray(0, h), head, b.subarray(h)]) });
        continue;
      }
    }
    out.push({ name, bytes: b });
  }
  return out;
}
