import type { Prng } from '@app/common/testing';

/** The JSON types a Docker API field takes, as Go decodes them. */
export type FieldKind =
  /** string */
  | 'string'
  | 'bool'
  /** a Go integer: a float, a string or a bool is refused */
  | 'int'
  /** []string: a bare string is refused */
  | 'strings'
  /** strslice (Cmd, Entrypoint, CapAdd): a string or an array of strings */
  | 'strslice'
  /** map[string]string */
  | 'map'
  /** a struct or a map of structs */
  | 'object'
  /** an array of structs (Mounts) */
  | 'objects';

/** Strings a hostile client sends: traversal, NULs, control and bidi characters, huge ones. */
export const NASTY_STRINGS: readonly string[] = [
  '../../etc/passwd', '/etc/shadow', 'a\u0000b', 'a\nb', 'a\r\nb', '\u202ename', 'a\u200bb', '😀', 'é', '%00', '%', '%2e%2e',
  '${HOME}', '$(id)', '`id`', 'a;rm -rf /', 'constructor', '__proto__', 'toString', 'NaN', '-1', '0x10', '1e999', ' ', '\t',
  'x'.repeat(300), 'x'.repeat(70_000),
];

/** An object with keys that are dangerous on plain JS objects (set as own properties, so JSON keeps them). */
export function prototypeKeys(value: unknown): Record<string, unknown> {
  const o = Object.create(null) as Record<string, unknown>;
  for (const k of ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString']) o[k] = value;
  return o;
}

/** A random JSON value, nested up to `depth`. */
export function junk(r: Prng, depth = 2): unknown {
  const kinds = depth > 0 ? 7 : 5;
  switch (r.int(kinds)) {
    case 0:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e300, 65536, 4294967296]);
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick(NASTY_STRINGS);
    case 3:
      return randomText(r, 1 + r.int(40));
    case 4:
      return r.chance(0.3) ? null : '';
    case 5:
      return Array.from({ length: r.int(4) }, () => junk(r, depth - 1));
    default: {
      const o = Object.create(null) as Record<string, unknown>;
      for (let i = r.int(4); i > 0; i--) o[r.chance(0.3) ? r.pick(['__proto__', 'constructor']) : randomText(r, 1 + r.int(8))] = junk(r, depth - 1);
      return o;
    }
  }
}

/** Printable and unprintable characters, some multi-byte. */
export function randomText(r: Prng, length: number): string {
  const alphabet = 'abcxyzABC019_-.:/@%+= \u0000\u0001\n\t"\\\'é😀';
  const chars = [...alphabet];
  return Array.from({ length }, () => r.pick(chars)).join('');
}

/** A value whose JSON type Go would refuse for a field of `kind` (never null: Go takes null as absent). */
export function wrongType(r: Prng, kind: FieldKind): unknown {
  const byKind: Record<FieldKind, (() => unknown)[]> = {
    string: [() => r.pick([0, 7, -1, 1.5]), () => r.chance(0.5), () => [r.pick(NASTY_STRINGS)], () => ({ a: 'b' })],
    bool: [() => r.pick([0, 1, -1]), () => r.pick(['true', 'yes', '']), () => [true], () => ({})],
    int: [() => r.pick(['1', 'x', '']), () => r.chance(0.5), () => [1], () => ({ a: 1 }), () => r.pick([1.5, 0.1, -2.5])],
    strings: [() => r.pick([0, 5]), () => true, () => ({ a: 'b' }), () => 'bare string', () => [5], () => [['x']], () => [{}]],
    strslice: [() => r.pick([0, 5]), () => true, () => ({ a: 'b' }), () => [5, 6], () => [['x']], () => [{}], () => [true]],
    map: [() => [], () => ['a=b'], () => 'a=b', () => 5, () => true, () => ({ a: 5 }), () => ({ a: ['b'] }), () => ({ a: {} })],
    object: [() => [], () => 'x', () => 5, () => true],
    objects: [() => ({}), () => 'x', () => 5, () => true, () => [5], () => ['x']],
  };
  return r.pick(byKind[kind])();
}

/**
 * An id or name that can match no existing object: it always holds a character outside
 * [0-9a-f], so it is never a prefix of an id, and it is never one of `taken` (names).
 */
export function junkId(r: Prng, taken: readonly string[]): string {
  const candidates = [
    () => `zz${randomText(r, 1 + r.int(10)).replace(/[^A-Za-z0-9]/g, 'q')}`,
    () => '%E0%A4%A',
    () => '%25',
    () => 'a%2525b',
    () => '%2e%2e',
    () => '..%2f..%2fetc%2fpasswd',
    () => '%00',
    () => `q${'a'.repeat(300)}`,
    () => encodeURIComponent(r.pick(NASTY_STRINGS)),
    () => encodeURIComponent('ネットワーク'),
    () => '%ff%fe',
    () => 'x%zz',
  ];
  for (;;) {
    const id = r.pick(candidates)();
    if (!taken.includes(id) && /[^0-9a-f]/.test(id)) return id;
  }
}
