import { Firewall, type NftDelta, type NftOp, type NftTable } from '../firewall.port';
import type { NetnsRef } from '../netlink.port';
import { checkDelta, checkedTarget, checkTable, checkTableId, tableKey } from '../nft-table';

/** One call FakeFirewall saw, in order (for teardown-order assertions). */
export type FirewallEvent =
  | { readonly op: 'apply'; readonly ns: string; readonly table: NftTable }
  | { readonly op: 'update'; readonly ns: string; readonly ops: readonly NftOp[]; readonly table: NftTable }
  | { readonly op: 'delete'; readonly ns: string; readonly family: NftTable['family']; readonly name: string };

/**
 * Records the tables applied per namespace. Rejects what nft would obviously reject (unbalanced
 * braces, bad family or name, malformed delta ops) with InvalidParameter and then leaves the
 * previous table in place, as the real transaction does. A delta on a live table that has the
 * sets it names ends at its target (the fake does not run ops: the contract suite proves on the
 * kernel that a delta produces its target); otherwise it falls back to `apply`, as NftFirewall
 * does. Unlike the kernel, it checks the target on the delta path too.
 */
export class FakeFirewall extends Firewall {
  private readonly live = new Map<string, Map<string, NftTable>>();
  readonly events: FirewallEvent[] = [];

  async apply(ns: NetnsRef, table: NftTable): Promise<void> {
    checkTable(table);
    const copy = { family: table.family, name: table.name, body: table.body };
    this.tables(this.live, ns).set(tableKey(table.family, table.name), copy);
    this.events.push({ op: 'apply', ns: ns.path, table: copy });
  }

  async update(ns: NetnsRef, delta: NftDelta): Promise<'delta' | 'full'> {
    checkDelta(delta);
    const key = tableKey(delta.family, delta.name);
    const live = this.tables(this.live, ns).get(key);
    if (delta.ops.length === 0) {
      checkedTarget(delta);
      return 'delta';
    }
    // The kernel refuses a delta on a missing table or naming a set it lacks; then the full apply.
    const made = new Set(delta.ops.flatMap((op) => (op.op === 'put-set' ? [op.set] : [])));
    const hasSet = (name: string) => made.has(name) || new RegExp(`^\\s*(set|map) ${name} \\{`, 'm').test(live?.body ?? '');
    if (!live || !delta.ops.every((op) => op.op === 'put-set' || !('set' in op) || hasSet(op.set))) {
      await this.apply(ns, checkedTarget(delta));
      return 'full';
    }
    const t = checkedTarget(delta);
    const copy = { family: t.family, name: t.name, body: t.body };
    this.tables(this.live, ns).set(key, copy);
    this.events.push({ op: 'update', ns: ns.path, ops: delta.ops, table: copy });
    return 'delta';
  }

  async deleteTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<void> {
    checkTableId(family, name);
    this.tables(this.live, ns).delete(tableKey(family, name));
    this.events.push({ op: 'delete', ns: ns.path, family, name });
  }

  async hasTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<boolean> {
    checkTableId(family, name);
    return this.tables(this.live, ns).has(tableKey(family, name));
  }

  /** The body of a live table, or undefined. */
  tableOf(ns: NetnsRef | string, family: NftTable['family'], name: string): string | undefined {
    return this.tables(this.live, ns).get(tableKey(family, name))?.body;
  }

  /** Live tables in `ns` as `family name` keys. */
  tablesIn(ns: NetnsRef | string): string[] {
    return [...this.tables(this.live, ns).keys()].sort();
  }

  private tables(map: Map<string, Map<string, NftTable>>, ns: NetnsRef | string): Map<string, NftTable> {
    const path = typeof ns === 'string' ? ns : ns.path;
    let m = map.get(path);
    if (!m) map.set(path, (m = new Map()));
    return m;
  }
}
