import { InvalidParameterError } from '@app/common';
import type { NftTable } from './firewall.port';

const FAMILIES = new Set(['inet', 'ip', 'ip6']);
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Key of a table within a namespace: `inet netd`. */
export function tableKey(family: NftTable['family'], name: string): string {
  return `${family} ${name}`;
}

export function checkTableId(family: string, name: string): void {
  if (!FAMILIES.has(family)) throw new InvalidParameterError(`unsupported nftables family "${family}"`);
  if (!TABLE_NAME.test(name)) throw new InvalidParameterError(`invalid nftables table name "${name}"`);
}

/**
 * Reject a body that is obviously malformed, and any body that could close the table it is
 * wrapped in (a stray `}`) and so reach another table: braces must balance outside strings and
 * comments, and never dip below the table's own level.
 */
export function checkTable(table: NftTable): void {
  checkTableId(table.family, table.name);
  const body = table.body;
  if (typeof body !== 'string' || body.includes('\0')) throw new InvalidParameterError(`table ${table.name}: invalid body`);
  let depth = 0;
  let quoted = false;
  let comment = false;
  for (const ch of body) {
    if (comment) {
      if (ch === '\n') comment = false;
    } else if (quoted) {
      if (ch === '"') quoted = false;
      else if (ch === '\n') break;
    } else if (ch === '"') quoted = true;
    else if (ch === '#') comment = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) break;
  }
  if (depth !== 0 || quoted) {
    throw new InvalidParameterError(`table ${table.family} ${table.name}: unbalanced braces or quotes in the ruleset`);
  }
}
