import { InvalidParameterError } from '@app/common';
import { deltaTarget, type NftDelta, type NftOp, type NftTable } from './firewall.port';

const FAMILIES = new Set(['inet', 'ip', 'ip6']);
const TABLE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** Key of a table within a namespace: `inet netd`. */
export function tableKey(family: NftTable['family'], name: string): string {
  return `${family} ${name}`;
}

export function checkTableId(family: string, name: string): void {
  if (!FAMILIES.has(family)) throw new InvalidParameterError(`unsupported nftables family "${family}"`);
  if (!TABLE_NAME.test(name)) throw new InvalidParameterError(`invalid nftables table name "${name}"`);
}

/**
 * Whether braces balance outside strings and comments and never dip below the starting level,
 * so the text cannot close the block it is wrapped in and reach another table.
 */
function balanced(text: string): boolean {
  let depth = 0;
  let quoted = false;
  let comment = false;
  for (const ch of text) {
    if (comment) {
      if (ch === '\n') comment = false;
    } else if (quoted) {
      if (ch === '"') quoted = false;
      else if (ch === '\n') return false;
    } else if (ch === '"') quoted = true;
    else if (ch === '#') comment = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) return false;
  }
  return depth === 0 && !quoted;
}

/** Reject a body that is obviously malformed, or could close its table (a stray `}`). */
export function checkTable(table: NftTable): void {
  checkTableId(table.family, table.name);
  const body = table.body;
  if (typeof body !== 'string' || body.includes('\0')) throw new InvalidParameterError(`table ${table.name}: invalid body`);
  if (!balanced(body)) {
    throw new InvalidParameterError(`table ${table.family} ${table.name}: unbalanced braces or quotes in the ruleset`);
  }
}

function checkName(what: string, name: string): void {
  if (typeof name !== 'string' || !OBJECT_NAME.test(name)) throw new InvalidParameterError(`invalid nftables ${what} name "${name}"`);
}

/** One expression of an op: a `;`, newline or `#` would start another command. */
function checkExpr(text: string, semicolons = false): void {
  if (typeof text !== 'string' || text.trim() === '' || /[\n\r\0#]/.test(text) || (!semicolons && text.includes(';')) || !balanced(text)) {
    throw new InvalidParameterError(`invalid nftables expression "${text}"`);
  }
}

/** Validate every op and the table id of a delta before anything runs. */
export function checkDelta(delta: NftDelta): void {
  checkTableId(delta.family, delta.name);
  for (const op of delta.ops) {
    switch (op.op) {
      case 'add-elements':
      case 'delete-elements': {
        checkName('set', op.set);
        const items = op.op === 'add-elements' ? op.elements : op.keys;
        if (items.length === 0) throw new InvalidParameterError(`${op.op} on ${op.set}: no elements`);
        items.forEach((e) => checkExpr(e));
        break;
      }
      case 'put-chain':
        checkName('chain', op.chain);
        // A hook line is `type … priority …; policy …;` and is wrapped in the chain's braces.
        if (op.hook !== undefined) checkExpr(op.hook, true);
        op.rules.forEach((r) => checkExpr(r));
        break;
      case 'delete-chain':
        checkName('chain', op.chain);
        break;
      case 'put-set':
        checkName('set', op.set);
        if (typeof op.type !== 'string' || !/^[a-z0-9_]+( \. [a-z0-9_]+)*$/.test(op.type)) throw new InvalidParameterError(`invalid nftables set type "${op.type}"`);
        break;
      case 'delete-set':
        checkName('set', op.set);
        break;
      default:
        throw new InvalidParameterError(`unknown nftables op ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  }
}

/** The nft script of a delta's ops (one transaction when run as one buffer). */
export function renderOps(delta: Pick<NftDelta, 'family' | 'name' | 'ops'>): string {
  const t = `${delta.family} ${delta.name}`;
  const out: string[] = [];
  const put = (op: Extract<NftOp, { op: 'put-chain' }>) => {
    const c = `${t} ${op.chain}`;
    // `add chain` without a hook is a no-op on an existing chain, so the delete never fails.
    out.push(`add chain ${c}`);
    if (op.hook !== undefined) out.push(`delete chain ${c}`, `add chain ${c} { ${op.hook} }`);
    else out.push(`flush chain ${c}`);
    for (const r of op.rules) out.push(`add rule ${c} ${r}`);
  };
  for (const op of delta.ops) {
    if (op.op === 'add-elements') out.push(`add element ${t} ${op.set} { ${op.elements.join(', ')} }`);
    else if (op.op === 'delete-elements') out.push(`delete element ${t} ${op.set} { ${op.keys.join(', ')} }`);
    else if (op.op === 'put-chain') put(op);
    else if (op.op === 'delete-chain') out.push(`add chain ${t} ${op.chain}`, `delete chain ${t} ${op.chain}`);
    else if (op.op === 'put-set') out.push(`add set ${t} ${op.set} { type ${op.type}; }`);
    else out.push(`delete set ${t} ${op.set}`);
  }
  return out.join('\n') + '\n';
}

/** The delta's full table, which must be a valid table of the name the delta names. */
export function checkedTarget(delta: NftDelta): NftTable {
  const t = deltaTarget(delta);
  if (t.family !== delta.family || t.name !== delta.name) {
    throw new InvalidParameterError(`delta for ${delta.family} ${delta.name} carries a target for ${t.family} ${t.name}`);
  }
  checkTable(t);
  return t;
}
