import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * This daemon's identity, kept in `<dataRoot>/engine-id` as dockerd keeps its own: made once,
 * the same across restarts. The host's IPv6 ULA /48 is derived from it, so the /64s handed to
 * `--ipv6` networks stay put across restarts and differ between hosts.
 */
export function engineId(dataRoot: string): string {
  const path = join(dataRoot, 'engine-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (UUID.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomUUID();
  mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, `${id}\n`, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
  return id;
}
