import { InvalidParameterError, SystemError } from '@app/common';
import { Firewall, type NftDelta, type NftTable } from './firewall.port';
import type { NetnsRef } from './netlink.port';
import { LibNftRunner } from './nft/lib-nft-runner';
import type { NftResult, NftRunner } from './nft/nft-runner';
import { SpawnNftRunner } from './nft/spawn-nft-runner';
import { checkDelta, checkedTarget, checkTable, checkTableId, renderOps, tableKey } from './nft-table';

export interface NftFirewallOptions {
  /**
   * How nft scripts run: `libnftables` in-process (default when the library loads) or `spawn`
   * (`nsenter … nft -f -`, the oracle).
   */
  readonly runner?: 'libnftables' | 'spawn' | NftRunner;
  /** The nft binary for the spawn runner (default: `nft` from PATH or the sbin directories). */
  readonly nft?: string;
  readonly nsenter?: string;
  readonly timeoutMs?: number;
}

/**
 * Firewall through nft scripts, run inside the namespace. A table is replaced in one transaction
 * (create-if-missing, delete, recreate), so a rejected ruleset leaves the previous table in
 * place and no other table is ever named; a delta is one transaction too, and only names its own
 * table.
 */
export class NftFirewall extends Firewall {
  private readonly runner: NftRunner;

  constructor(opts: NftFirewallOptions = {}) {
    super();
    this.runner = pickRunner(opts);
  }

  /** Free what the runner holds open (libnftables contexts pin their namespaces). */
  close(): void {
    if (this.runner instanceof LibNftRunner) this.runner.close();
  }

  async apply(ns: NetnsRef, table: NftTable): Promise<void> {
    checkTable(table);
    const id = `${table.family} ${table.name}`;
    const script = `table ${id} {}\ndelete table ${id}\ntable ${id} {\n${table.body}\n}\n`;
    const r = await this.runner.run(ns, script);
    if (r.code !== 0) throw failure(r, `apply table ${id}`);
  }

  async update(ns: NetnsRef, delta: NftDelta): Promise<'delta' | 'full'> {
    checkDelta(delta);
    if (delta.ops.length > 0) {
      const r = await this.runner.run(ns, renderOps(delta));
      // A missing table, an absent element or a table changed behind netd's back: the kernel
      // rolled the transaction back, so the full replace starts from the previous table.
      if (r.code !== 0) {
        await this.apply(ns, checkedTarget(delta));
        return 'full';
      }
    }
    return 'delta';
  }

  async deleteTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<void> {
    checkTableId(family, name);
    const id = `${family} ${name}`;
    // Creating it first makes the delete a no-op for a missing table, still in one transaction.
    const r = await this.runner.run(ns, `table ${id} {}\ndelete table ${id}\n`);
    if (r.code !== 0) throw failure(r, `delete table ${id}`);
  }

  async hasTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<boolean> {
    checkTableId(family, name);
    return (await this.liveTables(ns)).has(tableKey(family, name));
  }

  private async liveTables(ns: NetnsRef): Promise<Set<string>> {
    const r = await this.runner.run(ns, 'list tables\n', { json: true });
    if (r.code !== 0) throw failure(r, 'list tables');
    const parsed = JSON.parse(r.stdout) as { nftables: Array<{ table?: { family: string; name: string } }> };
    return new Set(parsed.nftables.flatMap((x) => (x.table ? [`${x.table.family} ${x.table.name}`] : [])));
  }
}

function pickRunner(opts: NftFirewallOptions): NftRunner {
  if (typeof opts.runner === 'object') return opts.runner;
  if (opts.runner === 'spawn') return new SpawnNftRunner(opts);
  if (opts.runner === 'libnftables') return new LibNftRunner();
  try {
    return new LibNftRunner();
  } catch {
    return new SpawnNftRunner(opts);
  }
}

function failure(r: NftResult, context: string): Error {
  // nft reports a rejected ruleset as "Error: …" with the offending line; nothing was applied.
  if (/Error:/.test(r.stderr)) return new InvalidParameterError(`${context}: nft rejected the ruleset: ${r.stderr.trim()}`);
  return new SystemError(`${context}: nft exited with ${r.code}: ${r.stderr.trim()}`);
}
