import type { Firewall, NftTable } from '../firewall.port';
import type { NetnsRef } from '../netlink.port';

export interface FirewallContractFixture {
  readonly firewall: Firewall;
  /** A fresh namespace with an empty ruleset. */
  newNamespace(): Promise<NetnsRef>;
  /** Wipe every table in `ns`, as `nft flush ruleset` would. */
  flushRuleset(ns: NetnsRef): Promise<void>;
  dispose(): Promise<void>;
}

const table = (body: string, name = 'netd_t'): NftTable => ({ family: 'inet', name, body });
const FILTER = `chain forward {\n  type filter hook forward priority filter; policy accept;\n  iifname "br-x" oifname "br-y" drop\n}`;
const FILTER2 = `chain forward {\n  type filter hook forward priority filter; policy accept;\n  iifname "br-x" drop\n}`;

/** The Firewall contract, run against FakeFirewall and, as root, NftFirewall. */
export function describeFirewallContract(name: string, setup: () => Promise<FirewallContractFixture>): void {
  describe(`Firewall contract: ${name}`, () => {
    let fx: FirewallContractFixture;
    let fw: Firewall;
    let ns: NetnsRef;

    beforeEach(async () => {
      fx = await setup();
      fw = fx.firewall;
      ns = await fx.newNamespace();
    });
    afterEach(async () => {
      await fx?.dispose();
    });

    it('applies a table that did not exist', async () => {
      await fw.apply(ns, table(FILTER));
      expect(await fw.hasTable(ns, 'inet', 'netd_t')).toBe(true);
    });

    it('replaces a table that exists', async () => {
      await fw.apply(ns, table(FILTER));
      await expect(fw.apply(ns, table(FILTER2))).resolves.toBeUndefined();
      expect(await fw.hasTable(ns, 'inet', 'netd_t')).toBe(true);
    });

    it('rejects unbalanced braces as invalid-parameter and keeps the previous table', async () => {
      await fw.apply(ns, table(FILTER));
      await expect(fw.apply(ns, table(`${FILTER}\n}`))).rejects.toMatchObject({ kind: 'invalid-parameter' });
      expect(await fw.hasTable(ns, 'inet', 'netd_t')).toBe(true);
    });

    it('rejects a bad table name', async () => {
      await expect(fw.apply(ns, table(FILTER, 'bad name;'))).rejects.toMatchObject({ kind: 'invalid-parameter' });
    });

    it('deletes a table', async () => {
      await fw.apply(ns, table(FILTER));
      await fw.deleteTable(ns, 'inet', 'netd_t');
      expect(await fw.hasTable(ns, 'inet', 'netd_t')).toBe(false);
    });

    it('deleting a missing table is a no-op', async () => {
      await expect(fw.deleteTable(ns, 'inet', 'netd_none')).resolves.toBeUndefined();
    });

    it('answers false for a table that never existed', async () => {
      expect(await fw.hasTable(ns, 'ip', 'netd_none')).toBe(false);
    });

    it('re-applies its tables after the ruleset was flushed', async () => {
      if (!fw.reapplyIfMissing) return;
      await fw.apply(ns, table(FILTER));
      await fx.flushRuleset(ns);
      expect(await fw.hasTable(ns, 'inet', 'netd_t')).toBe(false);
      expect((await fw.reapplyIfMissing(ns)).map((t) => t.name)).toEqual(['netd_t']);
      expect(await fw.hasTable(ns, 'inet', 'netd_t')).toBe(true);
    });

    it('re-applies nothing while its tables are present', async () => {
      if (!fw.reapplyIfMissing) return;
      await fw.apply(ns, table(FILTER));
      expect(await fw.reapplyIfMissing(ns)).toEqual([]);
    });
  });
}
