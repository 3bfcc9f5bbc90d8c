import type { NetnsRef } from '../netlink.port';
import type { Netns } from '../netns.port';

export interface NetnsContractFixture {
  readonly netns: Netns;
  /** A name no namespace has yet; the fixture removes whatever was made under it in dispose. */
  freshName(): string;
  dispose(): Promise<void>;
}

/** The Netns contract, run against FakeNetns and, as root, the real implementations. */
export function describeNetnsContract(name: string, setup: () => Promise<NetnsContractFixture>): void {
  describe(`Netns contract: ${name}`, () => {
    let fx: NetnsContractFixture;
    let netns: Netns;

    beforeEach(async () => {
      fx = await setup();
      netns = fx.netns;
    });
    afterEach(async () => {
      await fx?.dispose();
    });

    it('creates a namespace and returns a ref to it', async () => {
      const n = fx.freshName();
      const ref: NetnsRef = await netns.create(n);
      expect(ref.path.endsWith(`/${n}`)).toBe(true);
      expect(await netns.get(n)).toEqual(ref);
    });

    it('lists created namespaces', async () => {
      const n = fx.freshName();
      await netns.create(n);
      expect(await netns.list()).toContain(n);
    });

    it('rejects a name that exists as a conflict', async () => {
      const n = fx.freshName();
      await netns.create(n);
      await expect(netns.create(n)).rejects.toMatchObject({ kind: 'conflict' });
      expect(await netns.get(n)).toBeDefined();
    });

    it.each(['a/b', '..', '', 'x'.repeat(65)])('rejects the name "%s"', async (bad) => {
      await expect(netns.create(bad)).rejects.toMatchObject({ kind: 'invalid-parameter' });
    });

    it('deletes a namespace', async () => {
      const n = fx.freshName();
      await netns.create(n);
      await netns.delete(n);
      expect(await netns.get(n)).toBeUndefined();
      expect(await netns.list()).not.toContain(n);
    });

    it('fails with not-found when deleting a missing namespace', async () => {
      await expect(netns.delete(fx.freshName())).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('answers undefined for a missing namespace', async () => {
      expect(await netns.get(fx.freshName())).toBeUndefined();
    });
  });
}
