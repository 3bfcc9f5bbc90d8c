import { ConflictError, NotFoundError, type IpAddr, type MacAddr, type Prefix } from '@app/common';
import type { Netlink, NetnsRef } from '@app/kernel/netlink.port';
import type { Sysctl } from '@app/kernel/sysctl.port';
import type { Step } from './steps';
import { markerMac } from './bridge/veth';

/**
 * What plugging an endpoint into a sandbox needs from a driver's join context. The bridge and the
 * overlay driver both plug a veth into a Linux bridge the same way; only what surrounds it
 * (DAD, neighbours, firewall) differs.
 */
export interface VethJoinCtx {
  readonly netlink: Netlink;
  readonly sysctl: Sysctl;
  readonly hostNs: NetnsRef;
  readonly sandbox: NetnsRef;
  /** Container-side name (eth0, eth1 …). */
  readonly ifname: string;
  /** Host-side name (`veth<7 hex>`). */
  readonly hostVeth: string;
  readonly ep: { readonly id: string; readonly mac: MacAddr; readonly addresses: readonly Prefix[] };
  /** The bridge the host side is enslaved to. */
  readonly bridge: string;
  /** MTU of both ends; undefined: the kernel's default. */
  readonly mtu?: number;
  /** True when this run created the veth (a fresh pair: no need to read state back). */
  createdVeth?: boolean;
}

/** For `.catch()` on a delete that may find the object already gone: rethrows anything else. */
export const ignoreNotFound = (err: unknown): void => {
  if (!(err instanceof NotFoundError)) throw err;
};

/** The veth pair with the container side born inside the sandbox; converges on a half-made pair. */
export const ENSURE_VETH: Step<VethJoinCtx> = {
  name: 'ensure-veth',
  run: async (c) => {
    const spec = {
      kind: 'veth' as const,
      name: c.hostVeth,
      mtu: c.mtu,
      mac: markerMac(c.ep.id),
      peer: { name: c.ifname, ns: c.sandbox, mac: c.ep.mac, mtu: c.mtu },
    };
    // Create first and look only on a conflict: the common (fresh) case costs one round trip.
    try {
      await c.netlink.createLink(c.hostNs, spec);
      c.createdVeth = true;
      return;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    if (!(await c.netlink.getLink(c.hostNs, c.hostVeth))) {
      throw new ConflictError(`interface ${c.ifname} already exists in the sandbox`);
    }
    const peer = await c.netlink.getLink(c.sandbox, c.ifname);
    if (peer?.kind === 'veth') return;
    // Half of a pair whose container side is gone (the sandbox was recreated): start over.
    await c.netlink.deleteLink(c.hostNs, c.hostVeth);
    await c.netlink.createLink(c.hostNs, spec);
    c.createdVeth = true;
  },
  undo: async (c) => {
    if (c.createdVeth) await c.netlink.deleteLink(c.hostNs, c.hostVeth).catch(ignoreNotFound);
  },
};

/** After the veth exists: bridge port, both ends up, loopback, the endpoint's addresses. */
export const PLUG_STEPS: readonly Step<VethJoinCtx>[] = [
  { name: 'attach-to-bridge', run: (c) => c.netlink.setLinkMaster(c.hostNs, c.hostVeth, c.bridge) },
  { name: 'host-side-up', run: (c) => c.netlink.setLinkUp(c.hostNs, c.hostVeth) },
  { name: 'loopback-up', run: (c) => c.netlink.setLinkUp(c.sandbox, 'lo') },
  {
    name: 'addresses',
    run: async (c) => {
      const have = c.createdVeth ? [] : await c.netlink.listAddresses(c.sandbox, c.ifname);
      for (const a of c.ep.addresses) {
        if (!have.some((h) => h.equals(a))) await c.netlink.addAddress(c.sandbox, c.ifname, a);
      }
    },
  },
  { name: 'container-side-up', run: (c) => c.netlink.setLinkUp(c.sandbox, c.ifname) },
];

/** A default route via `gateway` out of the container side; fine if that exact route exists. */
export async function ensureDefaultRoute(c: VethJoinCtx, dst: Prefix, gateway: IpAddr): Promise<void> {
  try {
    await c.netlink.addRoute(c.sandbox, { dst, gateway, dev: c.ifname });
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const routes = await c.netlink.listRoutes(c.sandbox);
    const same = routes.some((r) => r.dst.equals(dst) && r.gateway?.equals(gateway) && (r.dev ?? c.ifname) === c.ifname);
    if (!same) throw new ConflictError(`the sandbox already has a default route (${dst}) through another gateway`);
  }
}
