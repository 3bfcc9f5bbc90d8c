import type { Firewall, NftDelta, NftOp, NftTable } from '../firewall.port';
import type { NetnsRef } from '../netlink.port';

export interface FirewallContractFixture {
  readonly firewall: Firewall;
  /** A fresh namespace with an empty ruleset. */
  newNamespace(): Promise<NetnsRef>;
  /** The live table in a comparable form (`normalizeNftJson` of `nft -j list table`), or undefined. */
  listTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<unknown>;
  dispose(): Promise<void>;
}

type Json = Record<string, unknown>;

function stripHandles(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stripHandles);
  if (x === null || typeof x !== 'object') return x;
  return Object.fromEntries(Object.entries(x as Json).filter(([k]) => k !== 'handle').map(([k, v]) => [k, stripHandles(v)]));
}

/**
 * `nft -j list table` output in a form where two tables with the same content compare equal:
 * handles dropped, set elements sorted (hash sets list in a per-set random order), objects
 * sorted by kind and name (chains made later list later); rules keep their order in a chain.
 */
export function normalizeNftJson(text: string): unknown {
  const items = (JSON.parse(text) as { nftables: Json[] }).nftables.filter((i) => !('metainfo' in i));
  const seen = new Map<string, number>();
  const keyed = items.map((item) => {
    const [kind, body] = Object.entries(stripHandles(item) as Json)[0] as [string, Json];
    if (Array.isArray(body.elem)) body.elem = [...body.elem].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    const owner = kind === 'rule' ? String(body.chain) : String(body.name);
    const n = seen.get(owner) ?? 0;
    if (kind === 'rule') seen.set(owner, n + 1);
    return { key: `${kind === 'rule' ? 'chain' : kind} ${owner} ${kind === 'rule' ? String(n + 1).padStart(6, '0') : '000000'}`, item: { [kind]: body } };
  });
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.item);
}

const table = (body: string, name = 'netd_t'): NftTable => ({ family: 'inet', name, body });
const FILTER = `chain forward {\n  type filter hook forward priority filter; policy accept;\n  iifname "br-x" oifname "br-y" drop\n}`;
const FILTER2 = `chain forward {\n  type filter hook forward priority filter; policy accept;\n  iifname "br-x" drop\n}`;

const HOOK = 'type filter hook forward priority filter; policy accept;';
/**
 * A table in the bridge driver's shape: hash sets, a per-member set, a verdict map jumping to
 * per-member chains, and a base chain whose last rule uses the per-member set.
 */
function setsTable(member: string, extraRule: string): NftTable {
  const perType = member === 'br-a' ? 'ipv4_addr' : 'ipv4_addr . ifname';
  const perElem = member === 'br-a' ? '10.0.0.0' : `10.1.0.0 . "${member}"`;
  return table(
    [
      `set bridges {\n\t\ttype ifname\n\t\telements = { "${member}" }\n\t}`,
      `set per_${member.slice(3)} {\n\t\ttype ${perType}\n\t\telements = { ${perElem} }\n\t}`,
      `map out {\n\t\ttype ifname : verdict\n\t\telements = { "${member}" : jump post-${member} }\n\t}`,
      `chain forward {\n\t\t${HOOK}\n\t\tiifname @bridges oifname vmap @out\n\t\t${extraRule}\n\t}`,
      `chain post-${member} {\n\t\tcounter\n\t}`,
    ].join('\n') + '\n',
  );
}
/** setsTable('br-a', …) → setsTable('br-b', …): every kind of op, in the order the kernel needs. */
const A_TO_B: NftOp[] = [
  { op: 'put-set', set: 'per_b', type: 'ipv4_addr . ifname' },
  { op: 'put-chain', chain: 'post-br-b', rules: ['counter'] },
  { op: 'delete-elements', set: 'bridges', keys: ['"br-a"'] },
  { op: 'delete-elements', set: 'out', keys: ['"br-a"'] },
  { op: 'add-elements', set: 'bridges', elements: ['"br-b"'] },
  { op: 'add-elements', set: 'out', elements: ['"br-b" : jump post-br-b'] },
  { op: 'add-elements', set: 'per_b', elements: ['10.1.0.0 . "br-b"'] },
  { op: 'put-chain', chain: 'forward', hook: HOOK, rules: ['iifname @bridges oifname vmap @out', 'ip saddr . iifname @per_b drop'] },
  { op: 'delete-chain', chain: 'post-br-a' },
  { op: 'delete-set', set: 'per_a' },
];
const A = setsTable('br-a', 'ip saddr @per_a drop');
const B = setsTable('br-b', 'ip saddr . iifname @per_b drop');
const delta = (ops: readonly NftOp[], target: NftDelta['target'] = B): NftDelta => ({ family: 'inet', name: 'netd_t', ops, target });

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

    /** What a full apply of `t` in a fresh namespace lists. */
    async function listed(t: NftTable): Promise<unknown> {
      const other = await fx.newNamespace();
      await fw.apply(other, t);
      return fx.listTable(other, t.family, t.name);
    }

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

    describe('update', () => {
      it('a delta on the existing table lists the same as a full apply of its target', async () => {
        await fw.apply(ns, A);
        expect(await fw.update(ns, delta(A_TO_B))).toBe('delta');
        expect(await fx.listTable(ns, 'inet', 'netd_t')).toEqual(await listed(B));
      });

      it('falls back to the full target when the table is missing', async () => {
        expect(await fw.update(ns, delta(A_TO_B))).toBe('full');
        expect(await fx.listTable(ns, 'inet', 'netd_t')).toEqual(await listed(B));
      });

      it('ends at the target when the kernel refuses the delta (an absent element)', async () => {
        await fw.apply(ns, A);
        await fw.update(ns, delta([{ op: 'delete-elements', set: 'bridges', keys: ['"br-zz"'] }, ...A_TO_B]));
        expect(await fx.listTable(ns, 'inet', 'netd_t')).toEqual(await listed(B));
      });

      it('changes nothing when both the delta and its target fail', async () => {
        await fw.apply(ns, A);
        const before = await fx.listTable(ns, 'inet', 'netd_t');
        const broken = delta([{ op: 'add-elements', set: 'nosuchset', elements: ['"br-b"'] }], table(`${B.body}\n}`));
        await expect(fw.update(ns, broken)).rejects.toMatchObject({ kind: 'invalid-parameter' });
        expect(await fx.listTable(ns, 'inet', 'netd_t')).toEqual(before);
      });

      it.each([
        ['an element that would start another command', { op: 'add-elements', set: 'bridges', elements: ['"x" }; delete table ip foreign; add element inet netd_t bridges { "y"'] }],
        ['a rule closing its chain', { op: 'put-chain', chain: 'c', rules: ['counter } chain d {'] }],
        ['a bad chain name', { op: 'delete-chain', chain: 'c d' }],
        ['an empty element list', { op: 'add-elements', set: 'bridges', elements: [] }],
      ] as [string, NftOp][])('rejects %s before touching anything', async (_, op) => {
        await fw.apply(ns, A);
        const before = await fx.listTable(ns, 'inet', 'netd_t');
        await expect(fw.update(ns, delta([op]))).rejects.toMatchObject({ kind: 'invalid-parameter' });
        expect(await fx.listTable(ns, 'inet', 'netd_t')).toEqual(before);
      });
    });
  });
}
