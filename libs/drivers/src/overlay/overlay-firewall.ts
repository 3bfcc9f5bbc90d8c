import type { IpAddr, Prefix } from '@app/common';
import type { NftTable } from '@app/kernel/firewall.port';

/** What the renderer needs about one overlay network on this host. */
export interface OverlayFirewallNetwork {
  readonly bridge: string;
  readonly internal: boolean;
  readonly subnets: readonly Prefix[];
  /** This host's addresses on the bridge (a non-internal network's gateway): traffic to them is routed, and stays tracked. */
  readonly hostAddresses: readonly IpAddr[];
}

export interface OverlayFirewallState {
  readonly vxlanPort: number;
  /** This node's VTEP; undefined outside a cluster. No VTEP or no peer: nothing is exempt from conntrack. */
  readonly vtep?: IpAddr;
  /** Remote VTEPs of every known peer: the only sources allowed to send VXLAN here. */
  readonly peers: readonly IpAddr[];
  readonly networks: readonly OverlayFirewallNetwork[];
}

/**
 * The overlay driver's own table (the Firewall port replaces whole tables, so it cannot share the
 * bridge driver's). VXLAN carries no authentication: anyone reaching UDP 4789 could inject frames
 * into a network, so inbound VXLAN is dropped unless it comes from a known peer VTEP. Non-internal
 * overlays egress through their own host (masquerade); internal ones cannot leave the bridge.
 *
 * VXLAN between this node's VTEP and a known peer skips conntrack (`notrack` at raw priority,
 * before conntrack): both directions go to the VXLAN port, so the kernel never sees a reply and
 * kept two UNREPLIED entries per inner flow and host, looked up for every packet, and nothing
 * needs them (the peer filter on input is stateless; masquerade only matches the overlay's own
 * subnets). VXLAN from anywhere else is still tracked and dropped on input.
 *
 * Frames bridged within an overlay network skip conntrack too: with br_netfilter loaded (as it is
 * wherever Docker ran), every frame crossing a bridge goes through the IP hooks, and this table's
 * masquerade makes conntrack run there, so each packet between two containers of a network was
 * tracked once on each host it crossed, for nothing (no NAT, no port mapping, no stateful rule
 * applies inside an overlay). Docker's overlay bridge sits in a namespace without conntrack; this
 * is the same behaviour on the host's bridge. Traffic to the host's own address on the bridge and
 * everything leaving the subnet (egress, masqueraded) is still tracked.
 */
export const OVERLAY_TABLE_NAME = 'netd_overlay';

const q = (name: string) => `"${name}"`;
const kw = (p: Prefix) => (p.family === 4 ? 'ip' : 'ip6');

function chain(name: string, hook: string, rules: readonly string[]): string {
  return [`\tchain ${name} {`, `\t\t${hook}`, ...rules.map((r) => `\t\t${r}`), '\t}'].join('\n');
}

function peerSet(name: string, type: string, addrs: readonly IpAddr[]): string {
  const sorted = [...new Set(addrs.map(String))].sort();
  const elements = sorted.length > 0 ? `\n\t\telements = { ${sorted.join(', ')} }` : '';
  return `\tset ${name} {\n\t\ttype ${type}${elements}\n\t}`;
}

/** Pure and deterministic (networks sorted by bridge), so it can be golden-tested and re-applied. */
export function renderOverlayFirewall(s: OverlayFirewallState, tableName = OVERLAY_TABLE_NAME): NftTable {
  const nets = [...s.networks].sort((a, b) => (a.bridge < b.bridge ? -1 : a.bridge > b.bridge ? 1 : 0));
  const forward: string[] = [];
  const postrouting: string[] = [];
  for (const n of nets) {
    const br = q(n.bridge);
    if (n.internal) {
      forward.push(`iifname ${br} oifname != ${br} drop`, `oifname ${br} iifname != ${br} drop`);
      continue;
    }
    for (const sub of n.subnets) postrouting.push(`${kw(sub)} saddr ${sub.network()} oifname != ${br} masquerade`);
  }
  const notrackIn: string[] = [];
  const notrackOut: string[] = [];
  const vtep = s.vtep;
  if (vtep && s.peers.some((p) => p.family === vtep.family)) {
    const [fam, set] = vtep.family === 4 ? ['ip', '@vxlan_peers4'] : ['ip6', '@vxlan_peers6'];
    notrackIn.push(`${fam} daddr ${vtep} ${fam} saddr ${set} udp dport ${s.vxlanPort} notrack`);
    notrackOut.push(`${fam} saddr ${vtep} ${fam} daddr ${set} udp dport ${s.vxlanPort} notrack`);
  }
  for (const n of nets) {
    for (const sub of n.subnets) {
      const fam = kw(sub);
      const own = [...new Set(n.hostAddresses.filter((a) => a.family === sub.family).map(String))].sort();
      const exceptOwn = own.length === 0 ? '' : ` ${fam} daddr != ${own.length === 1 ? own[0] : `{ ${own.join(', ')} }`}`;
      notrackIn.push(`iifname ${q(n.bridge)} ${fam} saddr ${sub.network()} ${fam} daddr ${sub.network()}${exceptOwn} notrack`);
    }
  }
  const notrack: string[] = [];
  if (notrackIn.length > 0) notrack.push(chain('notrack_in', 'type filter hook prerouting priority raw; policy accept;', notrackIn));
  if (notrackOut.length > 0) notrack.push(chain('notrack_out', 'type filter hook output priority raw; policy accept;', notrackOut));
  const body = [
    peerSet('vxlan_peers4', 'ipv4_addr', s.peers.filter((p) => p.family === 4)),
    peerSet('vxlan_peers6', 'ipv6_addr', s.peers.filter((p) => p.family === 6)),
    ...notrack,
    chain('input', 'type filter hook input priority filter; policy accept;', [
      `udp dport ${s.vxlanPort} ip saddr != @vxlan_peers4 drop`,
      `udp dport ${s.vxlanPort} ip6 saddr != @vxlan_peers6 drop`,
    ]),
    chain('forward', 'type filter hook forward priority filter; policy accept;', forward),
    chain('postrouting', 'type nat hook postrouting priority srcnat; policy accept;', postrouting),
  ].join('\n');
  return { family: 'inet', name: tableName, body: body + '\n' };
}
