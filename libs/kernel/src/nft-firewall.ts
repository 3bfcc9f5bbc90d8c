import { InvalidParameterError, NotFoundError, SystemError } from '@app/common';
import { existsSync } from 'node:fs';
import { describeRun, resolveTool, runCommand, type CommandResult } from './exec';
import { Firewall, type NftTable } from './firewall.port';
import type { NetnsRef } from './netlink.port';
import { checkTable, checkTableId, tableKey } from './nft-table';

export interface NftFirewallOptions {
  /** The nft binary (default: `nft` from PATH or the sbin directories). */
  readonly nft?: string;
  readonly nsenter?: string;
  readonly timeoutMs?: number;
}

/**
 * Firewall through `nft -f -`, run inside the namespace with nsenter. A table is replaced in one
 * transaction (create-if-missing, delete, recreate), so a rejected ruleset leaves the previous
 * table in place and no other table is ever named. The last applied version of each table is
 * kept so `reapplyIfMissing` can restore it after someone flushed the ruleset.
 */
export class NftFirewall extends Firewall {
  private readonly desired = new Map<string, Map<string, NftTable>>();

  constructor(private readonly opts: NftFirewallOptions = {}) {
    super();
  }

  async apply(ns: NetnsRef, table: NftTable): Promise<void> {
    checkTable(table);
    const id = `${table.family} ${table.name}`;
    const script = `table ${id} {}\ndelete table ${id}\ntable ${id} {\n${table.body}\n}\n`;
    const r = await this.nft(ns, ['-f', '-'], script);
    if (r.code !== 0) throw this.failure(r, ['-f', '-'], `apply table ${id}`);
    this.tablesOf(ns).set(tableKey(table.family, table.name), { family: table.family, name: table.name, body: table.body });
  }

  async deleteTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<void> {
    checkTableId(family, name);
    const id = `${family} ${name}`;
    // Creating it first makes the delete a no-op for a missing table, still in one transaction.
    const r = await this.nft(ns, ['-f', '-'], `table ${id} {}\ndelete table ${id}\n`);
    if (r.code !== 0) throw this.failure(r, ['-f', '-'], `delete table ${id}`);
    this.tablesOf(ns).delete(tableKey(family, name));
  }

  async hasTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<boolean> {
    checkTableId(family, name);
    return (await this.liveTables(ns)).has(tableKey(family, name));
  }

  override async reapplyIfMissing(ns: NetnsRef): Promise<NftTable[]> {
    const mine = [...this.tablesOf(ns).values()];
    if (mine.length === 0) return [];
    const live = await this.liveTables(ns);
    const missing = mine.filter((t) => !live.has(tableKey(t.family, t.name)));
    for (const t of missing) await this.apply(ns, t);
    return missing;
  }

  private async liveTables(ns: NetnsRef): Promise<Set<string>> {
    const args = ['-j', 'list', 'tables'];
    const r = await this.nft(ns, args);
    if (r.code !== 0) throw this.failure(r, args, 'list tables');
    const parsed = JSON.parse(r.stdout) as { nftables: Array<{ table?: { family: string; name: string } }> };
    return new Set(parsed.nftables.flatMap((x) => (x.table ? [`${x.table.family} ${x.table.name}`] : [])));
  }

  private nft(ns: NetnsRef, args: string[], input?: string): Promise<CommandResult> {
    if (!existsSync(ns.path)) throw new NotFoundError(`network namespace ${ns.path} does not exist`);
    const nft = resolveTool(this.opts.nft ?? 'nft');
    return runCommand(this.opts.nsenter ?? 'nsenter', [`--net=${ns.path}`, nft, ...args], { input, timeoutMs: this.opts.timeoutMs ?? 10_000 });
  }

  private failure(r: CommandResult, args: string[], context: string): Error {
    const line = describeRun('nft', args, r);
    // nft reports a rejected ruleset as "Error: …" with the offending line; nothing was applied.
    if (r.code === 1 && /Error:/.test(r.stderr)) return new InvalidParameterError(`${context}: nft rejected the ruleset: ${r.stderr.trim()}`);
    return new SystemError(`${context}: ${line}`);
  }

  private tablesOf(ns: NetnsRef): Map<string, NftTable> {
    let m = this.desired.get(ns.path);
    if (!m) this.desired.set(ns.path, (m = new Map()));
    return m;
  }
}
