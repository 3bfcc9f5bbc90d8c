import type { IpAddr, Prefix } from '@app/common';
import type { NftTable } from '@app/kernel/firewall.port';

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

const q = (name: string) => `"${name}"`;
const set = (items: readonly string[]) => (items.length === 1 ? items[0] : `{ ${items.join(', ')} }`);
const ipKw = (ip: IpAddr | Prefix) => (ip.family === 4 ? 'ip' : 'ip6');
const hostPart = (ip: IpAddr) => (ip.family === 4 ? ip.toString() : `[${ip.toString()}]`);

function chain(name: string, hook: string | undefined, rules: readonly string[]): string {
  const lines = [`\tchain ${name} {`];
  if (hook) lines.push(`\t\t${hook}`);
  for (const r of rules) lines.push(`\t\t${r}`);
  lines.push('\t}');
  return lines.join('\n');
}

function forwardRules(nets: readonly FirewallNetwork[]): string[] {
  const rules: string[] = [];
  for (const n of nets) {
    const br = q(n.bridge);
    if (n.internal) {
      rules.push(`iifname ${br} oifname != ${br} drop`, `oifname ${br} iifname != ${br} drop`);
    }
    // Routed same-bridge traffic (hairpin through a published port, or every bridged packet
    // where br_netfilter happens to be loaded); bridged traffic itself is dropped at the ports'
    // ingress (iccChains), which works without br_netfilter.
    if (!n.icc) rules.push(`iifname ${br} oifname ${br} drop`);
    const others = nets.filter((o) => o !== n).map((o) => q(o.bridge));
    if (others.length > 0) rules.push(`iifname ${br} oifname ${set(others)} drop`);
  }
  return rules;
}

function publishRules(nets: readonly FirewallNetwork[]): string[] {
  const rules: string[] = [];
  for (const n of nets) {
    if (n.internal) continue;
    for (const p of n.published) {
      const kw = ipKw(p.containerIp);
      const match = p.hostIp ? `${kw} daddr ${p.hostIp}` : `meta nfproto ${p.containerIp.family === 4 ? 'ipv4' : 'ipv6'}`;
      rules.push(`${match} ${p.proto} dport ${p.hostPort} dnat ${kw} to ${hostPart(p.containerIp)}:${p.containerPort}`);
    }
  }
  return rules;
}

function postroutingRules(nets: readonly FirewallNetwork[]): string[] {
  const rules: string[] = [];
  for (const n of nets) {
    if (n.internal) continue;
    const br = q(n.bridge);
    if (n.masquerade) {
      for (const s of n.subnets) rules.push(`${ipKw(s)} saddr ${s.network()} oifname != ${br} masquerade`);
    }
    if (n.published.length > 0) {
      // 127.0.0.1:port reaches the container thanks to route_localnet on the bridge; the reply
      // must come back to an address the container can route to, so rewrite the source.
      rules.push(`oifname ${br} ip saddr 127.0.0.0/8 masquerade`);
      // Hairpin: a container reaching a published port of its own bridge must see the reply
      // come back through the gateway, not straight over the bridge.
      for (const s of n.subnets) rules.push(`oifname ${br} ${ipKw(s)} saddr ${s.network()} ct status dnat masquerade`);
    }
  }
  return rules;
}

/**
 * icc=false without br_netfilter: bridged frames never reach the inet forward hook, so drop
 * them where they enter, at the ingress of each container's host-side veth: anything from a
 * container to an address of its own subnet other than the gateway. ARP/ND are not IP and pass,
 * so a peer fails fast with a drop, not with a neighbour timeout. (Measured alternatives: a
 * `bridge` family table needs `meta ibrname`, whose module is missing here, and the Firewall
 * port serves inet/ip/ip6 only; the bridge port `isolated` flag is not in the Netlink port.)
 */
function iccChains(nets: readonly FirewallNetwork[]): string[] {
  return nets
    .filter((n) => !n.icc && n.ports.length > 0)
    .map((n) => {
      const devices = [...n.ports].sort().map(q).join(', ');
      const rules = n.subnets.map((s) => {
        const kw = ipKw(s);
        const gws = n.gateways.filter((g) => g.family === s.family).map(String);
        return `${kw} daddr ${s.network()}${gws.length > 0 ? ` ${kw} daddr != ${set(gws)}` : ''} drop`;
      });
      return chain(`icc-${n.bridge}`, `type filter hook ingress devices = { ${devices} } priority filter; policy accept;`, rules);
    });
}

/**
 * The whole of netd's tables for the bridge driver, from the desired state of every network it
 * knows. Pure and deterministic (networks sorted by bridge name), so output can be golden-tested
 * and re-applied atomically on every change.
 */
export function renderFirewall(networks: readonly FirewallNetwork[], tableName = DEFAULT_TABLE_NAME): NftTable {
  const nets = [...networks].sort((a, b) => (a.bridge < b.bridge ? -1 : a.bridge > b.bridge ? 1 : 0));
  const inet = [
    chain('forward', 'type filter hook forward priority filter; policy accept;', forwardRules(nets)),
    chain('prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['fib daddr type local jump publish']),
    chain('output', 'type nat hook output priority -100; policy accept;', ['fib daddr type local jump publish']),
    chain('publish', undefined, publishRules(nets)),
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postroutingRules(nets)),
    ...iccChains(nets),
  ].join('\n');
  return { family: 'inet', name: tableName, body: inet + '\n' };
}

/** The full `nft -f` text of a table (used by golden tests and for logging). */
export function toNftScript(t: NftTable): string {
  return `table ${t.family} ${t.name} {\n${t.body}}\n`;
}
