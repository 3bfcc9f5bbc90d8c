import { Firewall, type NftTable } from '../firewall.port';
import type { NetnsRef } from '../netlink.port';
import { checkTable, checkTableId, tableKey } from '../nft-table';

/** One call FakeFirewall saw, in order (for teardown-order assertions). */
export type FirewallEvent =
  | { readonly op: 'apply'; readonly ns: string; readonly table: NftTable }
  | { readonly op: 'delete'; readonly ns: string; readonly family: NftTable['family']; readonly name: string };

/**
 * Records the tables applied per namespace. Rejects what nft would obviously reject (unbalanced
 * braces, bad family or name) with InvalidParameter and then leaves the previous table in place,
 * as the real transaction does. `flushRuleset(ns)` simulates someone wiping the ruleset.
 */
export class FakeFirewall extends Firewall {
  private readonly live = new Map<string, Map<string, NftTable>>();
  private readonly desired = new Map<string, Map<string, NftTable>>();
  readonly events: FirewallEvent[] = [];

  async apply(ns: NetnsRef, table: NftTable): Promise<void> {
    checkTable(table);
    const copy = { family: table.family, name: table.name, body: table.body };
    this.tables(this.live, ns).set(tableKey(table.family, table.name), copy);
    this.tables(this.desired, ns).set(tableKey(table.family, table.name), copy);
    this.events.push({ op: 'apply', ns: ns.path, table: copy });
  }

  async deleteTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<void> {
    checkTableId(family, name);
    this.tables(this.live, ns).delete(tableKey(family, name));
    this.tables(this.desired, ns).delete(tableKey(family, name));
    this.events.push({ op: 'delete', ns: ns.path, family, name });
  }

  async hasTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<boolean> {
    checkTableId(family, name);
    return this.tables(this.live, ns).has(tableKey(family, name));
  }

  override async reapplyIfMissing(ns: NetnsRef): Promise<NftTable[]> {
    const live = this.tables(this.live, ns);
    const missing = [...this.tables(this.desired, ns).entries()].filter(([key]) => !live.has(key));
    for (const [key, table] of missing) live.set(key, table);
    return missing.map(([, t]) => t);
  }

  /** The body of a live table, or undefined. */
  tableOf(ns: NetnsRef | string, family: NftTable['family'], name: string): string | undefined {
    return this.tables(this.live, ns).get(tableKey(family, name))?.body;
  }

  /** Live tables in `ns` as `family name` keys. */
  tablesIn(ns: NetnsRef | string): string[] {
    return [...this.tables(this.live, ns).keys()].sort();
  }

  /** Simulate `nft flush ruleset` in `ns`: every table is gone (netd still wants its own). */
  flushRuleset(ns: NetnsRef | string): void {
    this.tables(this.live, ns).clear();
  }

  private tables(map: Map<string, Map<string, NftTable>>, ns: NetnsRef | string): Map<string, NftTable> {
    const path = typeof ns === 'string' ? ns : ns.path;
    let m = map.get(path);
    if (!m) map.set(path, (m = new Map()));
    return m;
  }
}
