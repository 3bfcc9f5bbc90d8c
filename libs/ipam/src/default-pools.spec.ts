import { createHash } from 'node:crypto';
import { DEFAULT_GLOBAL_POOLS, DEFAULT_LOCAL_POOLS, parseDefaultAddressPools, ulaPrefix } from './default-pools';

describe('default pools', () => {
  it("are Docker's local pools: 31 networks, 172.17.0.0/16 first", () => {
    const count = DEFAULT_LOCAL_POOLS.reduce((n, s) => n + 2 ** (s.size - s.base.length), 0);
    expect(count).toBe(31);
    expect(DEFAULT_LOCAL_POOLS.map((s) => `${s.base}:${s.size}`)).toEqual([
      '172.17.0.0/16:16',
      '172.18.0.0/16:16',
      '172.19.0.0/16:16',
      '172.20.0.0/14:16',
      '172.24.0.0/14:16',
      '172.28.0.0/14:16',
      '192.168.0.0/16:20',
    ]);
  });

  it('give overlays 10.0.0.0/8 in /24s', () => {
    expect(DEFAULT_GLOBAL_POOLS.map((s) => `${s.base}:${s.size}`)).toEqual(['10.0.0.0/8:24']);
  });
});

describe(ulaPrefix.name, () => {
  it('is fd + the 40 low bits of the first 8 bytes of SHA-256(host id), as dockerd derives it', () => {
    const sha = createHash('sha256').update('host-1').digest();
    const gid = sha.readBigUInt64BE(0) & ((1n << 40n) - 1n);
    const want = (0xfdn << 120n) | (gid << 80n);
    const p = ulaPrefix('host-1');
    expect(p.length).toBe(48);
    expect(p.address.value).toBe(want);
    expect(p.toString()).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/48$/);
  });

  it('is stable for a host id and differs between hosts', () => {
    expect(ulaPrefix('a').toString()).toBe(ulaPrefix('a').toString());
    expect(ulaPrefix('a').toString()).not.toBe(ulaPrefix('b').toString());
  });
});

describe(parseDefaultAddressPools.name, () => {
  it('parses the daemon.json form', () => {
    const pools = parseDefaultAddressPools([
      { base: '172.80.0.0/16', size: 24 },
      { base: 'fd12:3456::/48', size: 64 },
    ]);
    expect(pools.map((s) => `${s.base}:${s.size}`)).toEqual(['172.80.0.0/16:24', 'fd12:3456::/48:64']);
  });

  it.each<{ name: string; raw: unknown; message: string }>([
    { name: 'not a list', raw: { base: '10.0.0.0/8', size: 24 }, message: 'default-address-pools must be a list of {"base": CIDR, "size": number}' },
    { name: 'an empty list', raw: [], message: 'default-address-pools must not be empty (leave it out to use the defaults)' },
    { name: 'an entry that is not an object', raw: ['10.0.0.0/8'], message: 'default-address-pools[0] must be an object {"base": CIDR, "size": number}' },
    { name: 'an unknown field', raw: [{ base: '10.0.0.0/8', size: 24, scope: 'local' }], message: 'default-address-pools[0]: unknown field "scope"' },
    { name: 'a missing base', raw: [{ size: 24 }], message: 'default-address-pools[0]: "base" must be a CIDR string' },
    { name: 'an invalid base', raw: [{ base: '10.0.0.0/33', size: 24 }], message: 'default-address-pools[0]: invalid base 10.0.0.0/33: invalid CIDR address: 10.0.0.0/33' },
    { name: 'a base with host bits', raw: [{ base: '10.1.2.3/8', size: 24 }], message: 'default-address-pools[0]: base 10.1.2.3/8 has host bits set (did you mean 10.0.0.0/8?)' },
    { name: 'a missing size', raw: [{ base: '10.0.0.0/8' }], message: 'default-address-pools[0]: "size" must be an integer prefix length' },
    { name: 'a size as text', raw: [{ base: '10.0.0.0/8', size: '24' }], message: 'default-address-pools[0]: "size" must be an integer prefix length' },
    { name: 'a size shorter than the base', raw: [{ base: '10.0.0.0/16', size: 8 }], message: 'default-address-pools[0]: size /8 does not fit base 10.0.0.0/16: it must be between /16 and /30' },
    { name: 'a size too long for a network', raw: [{ base: '10.0.0.0/16', size: 31 }], message: 'default-address-pools[0]: size /31 does not fit base 10.0.0.0/16: it must be between /16 and /30' },
    { name: 'a bad second entry', raw: [{ base: '10.0.0.0/8', size: 24 }, { base: 'fd00::/48', size: 127 }], message: 'default-address-pools[1]: size /127 does not fit base fd00::/48: it must be between /48 and /126' },
  ])('rejects $name', ({ raw, message }) => {
    expect(() => parseDefaultAddressPools(raw)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});
