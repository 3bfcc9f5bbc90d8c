import { IpAddr, type Prefix } from '@app/common';
import type { NftOp, NftTable } from '@app/kernel/firewall.port';

/** One published port resolved to one container address (one family). */
export interface PublishedPort {
  readonly proto: 'tcp' | 'udp' | 'sctp';
  /** Host address; absent: every local address of the container address's family. */
  readonly hostIp?: IpAddr;
  readonly hostPort: number;
  readonly containerIp: IpAddr;
  readonly containerPort: number;
}

/** What the renderer needs to know about one bridge network. */
export interface FirewallNetwork {
  readonly bridge: string;
  readonly internal: boolean;
  readonly icc: boolean;
  readonly masquerade: boolean;
  /** Every subnet of the network, both families. */
  readonly subnets: readonly Prefix[];
  /** Gateway addresses on the bridge (still reachable with icc=false). */
  readonly gateways: readonly IpAddr[];
  /** Host-side veth names of the joined endpoints (used by icc=false). */
  readonly ports: readonly string[];
  readonly published: readonly PublishedPort[];
}

export const DEFAULT_TABLE_NAME = 'netd';

/**
 * The table is rules over sets, so a network costs O(1) elements and no rule names a bridge.
 * Measured with libnftables at 1,000 networks: every command first fills nft's cache, which
 * lists all elements of *interval* sets and every chain of the table (≈ 3 ms per 1,000 interval
 * elements, ≈ 1 ms per 1,000 chains, per transaction), while plain hash sets are not listed.
 * So subnets are not interval elements: each prefix length in use gets a pair of hash sets
 * keyed by the masked source (`ip saddr & 255.255.0.0`), and only icc=false networks with
 * ports have a chain of their own.
 *
 * - `bridges` every bridge; `self` `br . br` per bridge (same-bridge traffic); `internal`;
 *   `noicc` `br . br` of icc=false networks; `pub` bridges of networks with published ports;
 * - `masq<f>_<len>` network addresses of masquerading networks with that prefix length;
 *   `net<f>_<len>` `network . br` of every routed network (masquerading or publishing).
 */
const STATIC_SETS = [
  { name: 'bridges', type: 'ifname' },
  { name: 'self', type: 'ifname . ifname' },
  { name: 'internal', type: 'ifname' },
  { name: 'noicc', type: 'ifname . ifname' },
  { name: 'pub', type: 'ifname' },
] as const;

/** A set element; maps are not used, so the key is the whole element. */
export type NftElement = string;

export interface NftChain {
  readonly name: string;
  /** The hook line of a base chain. */
  readonly hook?: string;
  readonly rules: readonly string[];
}

/** Everything one network contributes to the table. */
export interface NetworkFragment {
  readonly bridge: string;
  /** Elements by set name (static sets and per-length sets). */
  readonly elements: Readonly<Record<string, readonly NftElement[]>>;
  /** Prefix lengths its per-length sets use, as `4_24`, `6_64`. */
  readonly lengths: readonly string[];
  readonly chains: readonly NftChain[];
  /** DNAT rules of its published ports (they live in the shared `publish` chain). */
  readonly publish: readonly string[];
}

const q = (name: string) => `"${name}"`;
const set = (items: readonly string[]) => (items.length === 1 ? items[0] : `{ ${items.join(', ')} }`);
const ipKw = (ip: IpAddr | Prefix) => (ip.family === 4 ? 'ip' : 'ip6');
const hostPart = (ip: IpAddr) => (ip.family === 4 ? ip.toString() : `[${ip.toString()}]`);
const lengthKey = (s: Prefix) => `${s.family}_${s.length}`;

/** `4_24` → the set declarations and postrouting rules of that prefix length. */
function lengthParts(key: string): { sets: { name: string; type: string }[]; rules: string[] } {
  const [family, length] = key.split('_').map(Number) as [4 | 6, number];
  const bits = family === 4 ? 32 : 128;
  const mask = IpAddr.fromBigInt(family, ((1n << BigInt(length)) - 1n) << BigInt(bits - length));
  const kw = family === 4 ? 'ip' : 'ip6';
  const addr = family === 4 ? 'ipv4_addr' : 'ipv6_addr';
  const src = `${kw} saddr & ${mask}`;
  return {
    sets: [
      { name: `masq${key}`, type: addr },
      { name: `net${key}`, type: `${addr} . ifname` },
    ],
    rules: [
      `${src} @masq${key} ${src} . oifname != @net${key} masquerade`,
      // Hairpin: a container reaching a published port of its own bridge must see the reply
      // come back through the gateway, not straight over the bridge.
      `oifname @pub ${src} . oifname @net${key} ct status dnat masquerade`,
    ],
  };
}

const FORWARD: NftChain = {
  name: 'forward',
  hook: 'type filter hook forward priority filter; policy accept;',
  rules: [
    'iifname @internal iifname . oifname != @self drop',
    'oifname @internal iifname . oifname != @self drop',
    // Routed same-bridge traffic (hairpin through a published port, or every bridged packet
    // where br_netfilter happens to be loaded); bridged traffic itself is dropped at the ports'
    // ingress (iccChain), which works without br_netfilter.
    'iifname . oifname @noicc drop',
    'iifname @bridges oifname @bridges iifname . oifname != @self drop',
  ],
};
const PREROUTING: NftChain = { name: 'prerouting', hook: 'type nat hook prerouting priority dstnat; policy accept;', rules: ['fib daddr type local jump publish'] };
const OUTPUT: NftChain = { name: 'output', hook: 'type nat hook output priority -100; policy accept;', rules: ['fib daddr type local jump publish'] };

/** The postrouting chain for the prefix lengths in use. */
export function postroutingChain(lengths: Iterable<string>): NftChain {
  return {
    name: 'postrouting',
    hook: 'type nat hook postrouting priority srcnat; policy accept;',
    // 127.0.0.1:port reaches the container thanks to route_localnet on the bridge; the reply
    // must come back to an address the container can route to, so rewrite the source.
    rules: ['oifname @pub ip saddr 127.0.0.0/8 masquerade', ...[...lengths].sort(byLength).flatMap((k) => lengthParts(k).rules)],
  };
}

function byLength(a: string, b: string): number {
  const [fa, la] = a.split('_').map(Number);
  const [fb, lb] = b.split('_').map(Number);
  return fa - fb || la - lb;
}

function publishRules(n: FirewallNetwork): string[] {
  if (n.internal) return [];
  return n.published.map((p) => {
    const kw = ipKw(p.containerIp);
    const match = p.hostIp ? `${kw} daddr ${p.hostIp}` : `meta nfproto ${p.containerIp.family === 4 ? 'ipv4' : 'ipv6'}`;
    return `${match} ${p.proto} dport ${p.hostPort} dnat ${kw} to ${hostPart(p.containerIp)}:${p.containerPort}`;
  });
}

/**
 * icc=false without br_netfilter: bridged frames never reach the inet forward hook, so drop
 * them where they enter, at the ingress of each container's host-side veth: anything from a
 * container to an address of its own subnet other than the gateway. ARP/ND are not IP and pass,
 * so a peer fails fast with a drop, not with a neighbour timeout. (Measured alternatives: a
 * `bridge` family table needs `meta ibrname`, whose module is missing here, and the Firewall
 * port serves inet/ip/ip6 only; the bridge port `isolated` flag is not in the Netlink port.)
 */
function iccChain(n: FirewallNetwork): NftChain {
  const devices = [...n.ports].sort().map(q).join(', ');
  const rules = n.subnets.map((s) => {
    const kw = ipKw(s);
    const gws = n.gateways.filter((g) => g.family === s.family).map(String);
    return `${kw} daddr ${s.network()}${gws.length > 0 ? ` ${kw} daddr != ${set(gws)}` : ''} drop`;
  });
  return { name: `icc-${n.bridge}`, hook: `type filter hook ingress devices = { ${devices} } priority filter; policy accept;`, rules };
}

/** What one network puts into the table: a pure function of that network alone. */
export function networkFragment(n: FirewallNetwork): NetworkFragment {
  const br = q(n.bridge);
  const pair = `${br} . ${br}`;
  const masq = !n.internal && n.masquerade;
  const published = !n.internal && n.published.length > 0;
  const elements: Record<string, string[]> = {
    bridges: [br],
    self: [pair],
    internal: n.internal ? [br] : [],
    noicc: n.icc ? [] : [pair],
    pub: published ? [br] : [],
  };
  const routed = masq || published ? n.subnets : [];
  for (const s of routed) {
    const k = lengthKey(s);
    const addr = String(s.network().address);
    if (masq) (elements[`masq${k}`] ??= []).push(addr);
    (elements[`net${k}`] ??= []).push(`${addr} . ${br}`);
  }
  return {
    bridge: n.bridge,
    elements,
    lengths: [...new Set(routed.map(lengthKey))],
    chains: !n.icc && n.ports.length > 0 ? [iccChain(n)] : [],
    publish: publishRules(n),
  };
}

const byBridge = (a: NetworkFragment, b: NetworkFragment) => (a.bridge < b.bridge ? -1 : a.bridge > b.bridge ? 1 : 0);

/** The `publish` chain's rules for these networks, in the full render's order. */
export function publishChain(fragments: Iterable<NetworkFragment>): NftChain {
  return { name: 'publish', rules: [...fragments].sort(byBridge).flatMap((f) => f.publish) };
}

/** Prefix lengths used by any of these networks. */
export function usedLengths(fragments: Iterable<NetworkFragment>): Set<string> {
  const out = new Set<string>();
  for (const f of fragments) for (const k of f.lengths) out.add(k);
  return out;
}

function chainText(c: NftChain): string {
  return [`\tchain ${c.name} {`, ...(c.hook ? [`\t\t${c.hook}`] : []), ...c.rules.map((r) => `\t\t${r}`), '\t}'].join('\n');
}

/** The whole table from every network's fragment (sorted by bridge, so deterministic). */
export function renderTable(fragments: Iterable<NetworkFragment>, tableName = DEFAULT_TABLE_NAME): NftTable {
  const frags = [...fragments].sort(byBridge);
  const lengths = [...usedLengths(frags)].sort(byLength);
  const decls = [...STATIC_SETS, ...lengths.flatMap((k) => lengthParts(k).sets)];
  const sets = decls.map((s) => {
    const elements = frags.flatMap((f) => f.elements[s.name] ?? []);
    const lines = [`\tset ${s.name} {`, `\t\ttype ${s.type}`];
    if (elements.length > 0) lines.push(`\t\telements = { ${elements.join(', ')} }`);
    return [...lines, '\t}'].join('\n');
  });
  const chains = [FORWARD, PREROUTING, OUTPUT, publishChain(frags), postroutingChain(lengths), ...frags.flatMap((f) => f.chains)].map(chainText);
  return { family: 'inet', name: tableName, body: [...sets, ...chains].join('\n') + '\n' };
}

/**
 * The whole of netd's table for the bridge driver, from the desired state of every network it
 * knows. Pure and deterministic, so output can be golden-tested and applied atomically.
 */
export function renderFirewall(networks: readonly FirewallNetwork[], tableName = DEFAULT_TABLE_NAME): NftTable {
  return renderTable(networks.map(networkFragment), tableName);
}

const sameRules = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((r, i) => r === b[i]);

/** The rest of the table around the changed network, asked for only when needed. */
export interface DeltaContext {
  /** Prefix lengths in use by all networks before and after the change. */
  readonly lengths: { readonly before: ReadonlySet<string>; readonly after: ReadonlySet<string> };
  /** The whole `publish` chain after the change. */
  readonly publish: () => NftChain;
}

/**
 * The ops that turn a table holding `before` for one network into one holding `after`
 * (undefined: the network is absent), everything else unchanged. Order matters to the kernel:
 * sets and chains exist before elements and rules use them, and go only after them.
 */
export function fragmentDelta(before: NetworkFragment | undefined, after: NetworkFragment | undefined, ctx: DeltaContext): NftOp[] {
  const ops: NftOp[] = [];
  const { before: lenBefore, after: lenAfter } = ctx.lengths;
  for (const k of [...lenAfter].filter((x) => !lenBefore.has(x)).sort(byLength)) {
    for (const s of lengthParts(k).sets) ops.push({ op: 'put-set', set: s.name, type: s.type });
  }
  const oldChains = new Map((before?.chains ?? []).map((c) => [c.name, c]));
  const newChains = new Map((after?.chains ?? []).map((c) => [c.name, c]));
  for (const c of newChains.values()) {
    const old = oldChains.get(c.name);
    if (!old || old.hook !== c.hook || !sameRules(old.rules, c.rules)) ops.push({ op: 'put-chain', chain: c.name, hook: c.hook, rules: c.rules });
  }
  const names = [...new Set([...Object.keys(before?.elements ?? {}), ...Object.keys(after?.elements ?? {})])];
  const adds: NftOp[] = [];
  for (const name of names) {
    const was = before?.elements[name] ?? [];
    const is = after?.elements[name] ?? [];
    const gone = was.filter((e) => !is.includes(e));
    const added = is.filter((e) => !was.includes(e));
    // Elements of a set dropped below go with the set.
    if (gone.length > 0 && !droppedSet(name, lenBefore, lenAfter)) ops.push({ op: 'delete-elements', set: name, keys: gone });
    if (added.length > 0) adds.push({ op: 'add-elements', set: name, elements: added });
  }
  ops.push(...adds);
  const lengthsChanged = lenBefore.size !== lenAfter.size || [...lenAfter].some((k) => !lenBefore.has(k));
  if (lengthsChanged) {
    const p = postroutingChain(lenAfter);
    ops.push({ op: 'put-chain', chain: p.name, hook: p.hook, rules: p.rules });
  }
  if (!sameRules(before?.publish ?? [], after?.publish ?? [])) {
    const p = ctx.publish();
    ops.push({ op: 'put-chain', chain: p.name, rules: p.rules });
  }
  for (const name of oldChains.keys()) if (!newChains.has(name)) ops.push({ op: 'delete-chain', chain: name });
  for (const k of [...lenBefore].filter((x) => !lenAfter.has(x)).sort(byLength)) {
    for (const s of lengthParts(k).sets) ops.push({ op: 'delete-set', set: s.name });
  }
  return ops;
}

function droppedSet(name: string, before: ReadonlySet<string>, after: ReadonlySet<string>): boolean {
  const m = /^(?:masq|net)(\d_\d+)$/.exec(name);
  return m !== null && before.has(m[1]) && !after.has(m[1]);
}

/** The full `nft -f` text of a table (used by golden tests and for logging). */
export function toNftScript(t: NftTable): string {
  return `table ${t.family} ${t.name} {\n${t.body}}\n`;
}
