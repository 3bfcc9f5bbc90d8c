import { Prefix } from '@app/common';
import { PoolIndex } from './pool-index';

const p = Prefix.parse;
const spec = (base: string, size: number) => ({ base: p(base), size });

describe(PoolIndex.name, () => {
  describe('findFree', () => {
    it('jumps over candidates that are only partly taken', () => {
      const idx = new PoolIndex();
      for (let i = 0; i < 300; i++) idx.addPool(`p${i}`, 'n', p(`10.${i >> 8}.${i & 255}.128/25`));
      expect(idx.findFree([spec('10.0.0.0/8', 24)], 4)?.toString()).toBe('10.1.44.0/24');
    });

    it('moves on to the next base when one is full, and skips other families', () => {
      const idx = new PoolIndex();
      idx.addPool('a', 'n', p('10.0.0.0/23'));
      const specs = [spec('fd00::/48', 64), spec('10.0.0.0/23', 24), spec('10.9.0.0/16', 24)];
      expect(idx.findFree(specs, 4)?.toString()).toBe('10.9.0.0/24');
      expect(idx.findFree(specs, 6)?.toString()).toBe('fd00::/64');
      expect(idx.findFree([spec('10.0.0.0/23', 24)], 4)).toBeUndefined();
    });

    it('splits by the asked length instead of the spec size', () => {
      const idx = new PoolIndex();
      idx.addPool('a', 'n', p('172.17.0.0/26'));
      expect(idx.findFree([spec('172.17.0.0/16', 16)], 4, 26)?.toString()).toBe('172.17.0.64/26');
      expect(idx.findFree([spec('172.17.0.0/16', 16)], 4, 8)).toBeUndefined();
    });
  });

  describe('removePool', () => {
    it('keeps what nested pools and routes still cover', () => {
      const idx = new PoolIndex();
      idx.addPool('outer', 'n1', p('10.0.0.0/16'));
      idx.addPool('inner', 'n2', p('10.0.5.0/24'));
      idx.setRoutes([p('10.0.200.0/24')]);
      idx.removePool('outer');
      expect(idx.findOverlap(p('10.0.5.128/25'))?.poolId).toBe('inner');
      expect(idx.findOverlap(p('10.0.200.0/25'))?.owner).toEqual({ kind: 'route' });
      expect(idx.findOverlap(p('10.0.6.0/24'))).toBeUndefined();
    });
  });
});
