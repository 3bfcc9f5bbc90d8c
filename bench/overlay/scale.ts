// bench/overlay (d): what a sandbox join and a peer change cost as the network grows. Host 2
// announces PEERS endpoints (records only, no sandboxes), then on host 1 a sandbox joins JOINS times
// and a remote endpoint is announced ANNOUNCES times. The baseline, measured in the same run on the
// same kernel, is the former scheme (a permanent neighbour per remote endpoint inside every local
// sandbox): the same operation plus the neighbour writes it made — PEERS into a joining sandbox,
// one per local sandbox for each announcement.
import { generateId, type IpAddr, MacAddr, type Prefix } from '@app/common';
import type { Netlink, NetnsRef } from '@app/kernel';

const PEERS = Number(process.env.OVERLAY_SCALE_PEERS ?? 150);
const JOINS = Number(process.env.OVERLAY_SCALE_JOINS ?? 10);
const ANNOUNCES = Number(process.env.OVERLAY_SCALE_ANNOUNCES ?? 10);

export interface ScaleHost {
  readonly vtep: IpAddr;
  readonly discovery: { announce(r: { networkId: string; endpointId: string; name: string; aliases: string[]; ip: IpAddr; mac: MacAddr; vtep: IpAddr }): void };
}

export interface ScaleCtx {
  readonly netlink: Netlink;
  readonly networkId: string;
  readonly hosts: readonly ScaleHost[];
  /** Host 2's address block (the fake endpoints' addresses start at .20 of it). */
  readonly remoteBlock: Prefix;
  /** A new sandbox joined on host `i`; returns its namespace and the join time in ms. */
  attach(i: number): Promise<{ ns: string; ref: NetnsRef; joinMs: number }>;
  /** Every sandbox on host 1 so far. */
  localSandboxes(): readonly NetnsRef[];
  settle(): Promise<void>;
}

export interface ScaleFigures {
  readonly peers: number;
  readonly joinMs: number[];
  /** The same joins plus PEERS neighbour writes into the sandbox (the former replay). */
  readonly formerJoinMs: number[];
  readonly localSandboxes: number;
  readonly announceMs: number[];
  /** The same announcements plus one neighbour write per local sandbox. */
  readonly formerAnnounceMs: number[];
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

export async function measureScaling(c: ScaleCtx): Promise<ScaleFigures> {
  const h2 = c.hosts[1];
  let next = 20n;
  const remote = () => {
    const ip = c.remoteBlock.nth(next++);
    return { ip, mac: MacAddr.fromIpv4(ip) };
  };
  const announce = (h: ScaleHost, p: { ip: IpAddr; mac: MacAddr }) =>
    h.discovery.announce({ networkId: c.networkId, endpointId: generateId(), name: `r${p.ip}`, aliases: [], ip: p.ip, mac: p.mac, vtep: h.vtep });
  const remotes = Array.from({ length: PEERS }, remote);
  for (const p of remotes) announce(h2, p);
  await c.settle();

  const figures = { peers: PEERS, joinMs: [] as number[], formerJoinMs: [] as number[], localSandboxes: 0, announceMs: [] as number[], formerAnnounceMs: [] as number[] };
  for (let i = 0; i < JOINS; i++) {
    const s = await c.attach(0);
    const t0 = process.hrtime.bigint();
    for (const p of remotes) await c.netlink.addNeighbor(s.ref, { dev: 'eth0', ip: p.ip, mac: p.mac });
    figures.joinMs.push(s.joinMs);
    figures.formerJoinMs.push(s.joinMs + ms(t0));
  }

  const sandboxes = c.localSandboxes();
  figures.localSandboxes = sandboxes.length;
  for (let i = 0; i < ANNOUNCES; i++) {
    const p = remote();
    const t0 = process.hrtime.bigint();
    announce(h2, p);
    await c.settle();
    const took = ms(t0);
    const t1 = process.hrtime.bigint();
    for (const sb of sandboxes) await c.netlink.addNeighbor(sb, { dev: 'eth0', ip: p.ip, mac: p.mac });
    figures.announceMs.push(took);
    figures.formerAnnounceMs.push(took + ms(t1));
  }
  return figures;
}
