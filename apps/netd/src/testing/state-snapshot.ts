import { ipJson, nsExec } from '@app/kernel/testing';
import Database from 'better-sqlite3';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

export interface SnapshotScope {
  dataRoot: string;
  execRoot: string;
  /** the daemon's host namespace (a path) */
  hostNetns: string;
  /** namespaces of containers and sandboxes (paths) */
  sandboxes: readonly string[];
}

/** Files in the database that change without any state changing (WAL, the pid file). */
const VOLATILE = /^(netd\.db(-wal|-shm)?|netd\.pid)$/;

/** Every file below `dir`: path, type, size and mode; nothing of its contents. */
export function listTree(dir: string, skip: RegExp = /^$/): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip.test(rel)) continue;
      const st = lstatSync(p);
      const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isSocket() ? 's' : st.isFIFO() ? 'p' : 'f';
      out.push(`${type} ${(st.mode & 0o7777).toString(8)} ${type === 'f' ? st.size : ''} ${rel}`);
      if (st.isDirectory()) walk(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

/**
 * Wait (up to 5 s) until no IPv6 address of `ns` is still tentative: duplicate address detection
 * finishing on a link made just before a picture would show up as a change (the address loses
 * its flag, the kernel adds its local route), though no request made it.
 */
async function dadSettled(ns: { path: string }): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const links = await ipJson<{ addr_info?: { tentative?: boolean }[] }[]>(ns, ['-6', 'addr', 'show']);
    if (!links.some((l) => l.addr_info?.some((a) => a.tentative))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What a bad request must not change, as text to compare: every row of the daemon's database,
 * the file trees of its data and exec roots, and the kernel state of its namespaces (addresses,
 * links, routes, neighbours, the nftables ruleset).
 */
export async function stateSnapshot(s: SnapshotScope): Promise<string> {
  const db = new Database(join(s.dataRoot, 'netd.db'), { readonly: true, timeout: 5000 });
  let rows: Record<string, unknown[]>;
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    rows = Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY 1`).all()]));
  } finally {
    db.close();
  }
  const kernel: Record<string, unknown> = {};
  for (const path of [s.hostNetns, ...s.sandboxes]) {
    const ns = { path };
    await dadSettled(ns);
    kernel[path] = {
      addr: await ipJson(ns, ['addr', 'show']),
      route: await ipJson(ns, ['route', 'show', 'table', 'all']),
      neigh: await ipJson(ns, ['neigh', 'show', 'nud', 'permanent']),
      nft: await nsExec(ns, 'nft', ['list', 'ruleset']),
    };
  }
  return JSON.stringify(
    { rows, dataRoot: listTree(s.dataRoot, VOLATILE), execRoot: listTree(s.execRoot), kernel },
    (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v),
    1,
  );
}
