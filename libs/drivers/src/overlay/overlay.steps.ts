import { ConflictError, NotFoundError, Prefix } from '@app/common';
import type { IpAddr } from '@app/common';
import type { FdbEntry, NeighborEntry, Netlink, NetnsRef } from '@app/kernel/netlink.port';
import type { Sysctl } from '@app/kernel/sysctl.port';
import type { Step } from '../steps';
import { markerMac } from '../bridge/veth';
import { ENSURE_VETH, ensureDefaultRoute, PLUG_STEPS, type VethJoinCtx } from '../veth-steps';
import { type OverlayAttachment, type OverlayEndpoint, type OverlayNetwork, type OverlayPeer, bridgeAddressOf, gatewayOf } from './overlay.state';

export interface OverlayNetCtx {
  readonly netlink: Netlink;
  readonly sysctl: Sysctl;
  readonly hostNs: NetnsRef;
  readonly net: OverlayNetwork;
  readonly vtep: IpAddr;
  readonly port: number;
  createdBridge?: boolean;
  createdVxlan?: boolean;
  /** The vxlan device existed without ARP suppression (an older netd) and was made again. */
  recreatedVxlan?: boolean;
}

const ignore = (...kinds: (typeof NotFoundError | typeof ConflictError)[]) => (err: unknown) => {
  if (!kinds.some((k) => err instanceof k)) throw err;
};

/** Bring an overlay network up on this host; each step converges on what an earlier run left. */
export const NETWORK_STEPS: readonly Step<OverlayNetCtx>[] = [
  {
    name: 'ensure-bridge',
    run: async (c) => {
      const link = await c.netlink.getLink(c.hostNs, c.net.bridge);
      if (link && link.kind !== 'bridge') throw new ConflictError(`a ${link.kind ?? 'non-bridge'} link named ${c.net.bridge} exists`);
      if (!link) {
        await c.netlink.createLink(c.hostNs, { kind: 'bridge', name: c.net.bridge, mtu: c.net.mtu, mac: markerMac(c.net.id) });
        c.createdBridge = true;
      }
    },
    undo: async (c) => {
      if (c.createdBridge) await c.netlink.deleteLink(c.hostNs, c.net.bridge);
    },
  },
  {
    name: 'ensure-vxlan',
    run: async (c) => {
      const link = await c.netlink.getLink(c.hostNs, c.net.vxlan);
      if (link && link.kind !== 'vxlan') throw new ConflictError(`a ${link.kind ?? 'non-vxlan'} link named ${c.net.vxlan} exists`);
      if (link?.vxlan?.proxy) return;
      let inherited: readonly FdbEntry[] = [];
      if (link) {
        // Made by a netd without ARP suppression. The kernel refuses to turn proxy on in place
        // (EOPNOTSUPP), so the device is made again and its FDB entries carried over.
        inherited = await c.netlink.listFdbEntries(c.hostNs, c.net.vxlan);
        await c.netlink.deleteLink(c.hostNs, c.net.vxlan);
        c.recreatedVxlan = true;
      }
      await c.netlink.createLink(c.hostNs, {
        kind: 'vxlan',
        name: c.net.vxlan,
        vni: c.net.vni,
        local: c.vtep,
        port: c.port,
        learning: false,
        proxy: true,
        mtu: c.net.mtu,
        mac: markerMac(`${c.net.id}/vxlan`),
      });
      c.createdVxlan = !link;
      for (const e of inherited) await c.netlink.addFdbEntry(c.hostNs, { ...e, dev: c.net.vxlan });
    },
    undo: async (c) => {
      if (c.createdVxlan) await c.netlink.deleteLink(c.hostNs, c.net.vxlan);
    },
  },
  { name: 'vxlan-on-bridge', run: (c) => c.netlink.setLinkMaster(c.hostNs, c.net.vxlan, c.net.bridge) },
  {
    // Every host's bridge answers for the same gateway: containers egress through their own host.
    name: 'gateway-address',
    when: (c) => bridgeAddressOf(c.net) !== undefined,
    run: async (c) => {
      const s = c.net.ipv4.find((x) => x.gateway)!;
      const gw = Prefix.of(s.gateway!, s.subnet.length);
      const have = await c.netlink.listAddresses(c.hostNs, c.net.bridge);
      if (!have.some((a) => a.equals(gw))) await c.netlink.addAddress(c.hostNs, c.net.bridge, gw);
    },
  },
  { name: 'vxlan-up', run: (c) => c.netlink.setLinkUp(c.hostNs, c.net.vxlan) },
  { name: 'bridge-up', run: (c) => c.netlink.setLinkUp(c.hostNs, c.net.bridge) },
  { name: 'ipv4-forwarding', when: (c) => !c.net.internal, run: (c) => c.sysctl.set(c.hostNs, 'net.ipv4.ip_forward', '1') },
];

export interface OverlayJoinCtx extends VethJoinCtx {
  readonly net: OverlayNetwork;
  readonly ep: OverlayEndpoint;
  readonly defaultRoute: boolean;
  /** The sandbox may hold permanent neighbours an older netd put there (see purgeLegacyNeighbours). */
  readonly legacyNeighbours: boolean;
}

// No neighbour entries in the sandbox: ARP for a remote endpoint floods on the bridge to the vxlan
// port, which answers from its own neighbour table (proxy), so a join costs the same at any size.
export const JOIN_STEPS: readonly Step<OverlayJoinCtx>[] = [
  ENSURE_VETH,
  {
    // No IPv6 on overlays: a link-local address would only bring DAD and MLD floods.
    name: 'no-ipv6-in-container',
    run: (c) => c.sysctl.set(c.sandbox, `net.ipv6.conf.${c.ifname}.disable_ipv6`, '1').catch(ignore(NotFoundError)),
  },
  ...PLUG_STEPS,
  {
    name: 'default-route',
    when: (c) => c.defaultRoute && gatewayOf(c.net) !== undefined,
    run: (c) => ensureDefaultRoute(c, Prefix.parse('0.0.0.0/0'), gatewayOf(c.net)!),
  },
  {
    name: 'purge-legacy-neighbours',
    when: (c) => c.legacyNeighbours,
    run: (c) => purgeLegacyNeighbours(c.netlink, c.net, { sandbox: c.sandbox, ifname: c.ifname }),
  },
];

/**
 * Delete the permanent neighbours for the network's subnet from a sandbox's interface: netd no
 * longer makes any, so they are what a netd before ARP suppression programmed per sandbox, and
 * they would outlive the remote endpoints they name.
 */
export async function purgeLegacyNeighbours(netlink: Netlink, net: OverlayNetwork, s: Pick<OverlayAttachment, 'sandbox' | 'ifname'>): Promise<void> {
  const stale = (await netlink.listNeighbors(s.sandbox, s.ifname)).filter((n) => net.ipv4.some((x) => x.subnet.contains(n.ip)));
  for (const n of stale) await netlink.deleteNeighbor(s.sandbox, n).catch(ignore(NotFoundError));
}

export interface PeerCtx {
  readonly netlink: Netlink;
  readonly hostNs: NetnsRef;
  readonly net: OverlayNetwork;
}

/**
 * A remote endpoint on this host: an FDB entry (MAC → VTEP) and a permanent neighbour (IP → MAC),
 * both on the vxlan device in the host namespace. Two netlink calls, whatever the number of local
 * sandboxes.
 */
export async function addPeerEntries(c: PeerCtx, p: OverlayPeer): Promise<void> {
  const entry = { dev: c.net.vxlan, mac: p.mac, dst: p.vtep };
  try {
    await c.netlink.addFdbEntry(c.hostNs, entry);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    // The MAC points at another VTEP (the endpoint moved, or a stale entry): replace it.
    await c.netlink.deleteFdbEntry(c.hostNs, { dev: c.net.vxlan, mac: p.mac }).catch(ignore(NotFoundError));
    await c.netlink.addFdbEntry(c.hostNs, entry);
  }
  await ensureNeighbor(c.netlink, c.hostNs, { dev: c.net.vxlan, ip: p.ip, mac: p.mac });
}

export async function removePeerEntries(c: PeerCtx, p: OverlayPeer): Promise<void> {
  await c.netlink.deleteFdbEntry(c.hostNs, { dev: c.net.vxlan, mac: p.mac, dst: p.vtep }).catch(ignore(NotFoundError));
  await c.netlink.deleteNeighbor(c.hostNs, { dev: c.net.vxlan, ip: p.ip, mac: p.mac }).catch(ignore(NotFoundError));
}

async function ensureNeighbor(netlink: Netlink, ns: NetnsRef, entry: NeighborEntry): Promise<void> {
  try {
    await netlink.addNeighbor(ns, entry);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    await netlink.deleteNeighbor(ns, entry).catch(ignore(NotFoundError));
    await netlink.addNeighbor(ns, entry);
  }
}
