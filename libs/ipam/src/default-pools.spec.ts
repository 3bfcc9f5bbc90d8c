import { createHash } from 'node:crypto';
import { DEFAULT_GLOBAL_POOLS, DEFAULT_LOCAL_POOLS, ulaPrefix } from './default-pools';

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
