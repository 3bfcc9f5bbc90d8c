// bench/overlay (c): node join time over the real transport. Two members (HyperswarmDiscovery, the
// daemon's own DHT nodes, on 127.0.0.1 — loopback only, the bootstrap list explicit) hold one network
// and ENDPOINTS endpoints each; a fresh node starts with the first member's DHT address plus a local
// 3-node DHT testnet as bootstrap (a token plus daemon.json's `bootstrap`, as in the e2e: a DHT of
// two nodes alone hardly routes) and is timed until it has the network and every remote endpoint
// programmed by a real OverlayDriver into its vxlan FDB, in a host namespace of the segment.
import { generateId, IpAddr, MacAddr, Prefix } from '@app/common';
import { OverlayDriver } from '@app/drivers';
import { type Firewall, type Netlink, ProcSysctl } from '@app/kernel';
import { createClusterKey, createNodeIdentity, HyperswarmDiscovery, type PeerEvent } from '@app/overlay';
import createTestnet from 'hyperdht/testnet';
import type { SegmentHost } from '../../e2e/support/l3-segment';
import { eventually } from '@app/common/testing';

const ENDPOINTS = Number(process.env.OVERLAY_JOIN_ENDPOINTS ?? 25);
const JOINS = Number(process.env.OVERLAY_JOINS ?? 5);
const JOIN_TIMEOUT_MS = 60_000;
const LOOPBACK = '127.0.0.1';

export interface JoinTimes {
  readonly endpoints: number;
  /** ms from start() to the network being present on the joiner. */
  readonly network: number[];
  /** ms from start() to every remote endpoint in the joiner's FDB. */
  readonly full: number[];
}

export async function measureJoinTime(host: SegmentHost, netlink: Netlink, firewall: Firewall): Promise<JoinTimes> {
  const times = { endpoints: 2 * ENDPOINTS, network: [] as number[], full: [] as number[] };
  // A fresh cluster per join: stopped joiners' announcements linger in the DHT, and a later joiner
  // dialling them first waits seconds per stale entry (measured: 12–29 s instead of < 0.5 s).
  for (let j = 0; j < JOINS; j++) {
    const t = await joinOnce(host, netlink, firewall, j);
    times.network.push(t.network);
    times.full.push(t.full);
  }
  return times;
}

async function joinOnce(host: SegmentHost, netlink: Netlink, firewall: Firewall, j: number): Promise<{ network: number; full: number }> {
  const clusterKey = createClusterKey();
  const member = (name: string, bootstrap: { host: string; port: number }[], founder = false) => {
    const d = new HyperswarmDiscovery({
      founder,
      clusterKey,
      identity: createNodeIdentity(),
      bootstrap,
      host: LOOPBACK,
      node: { name, advertiseAddr: IpAddr.parse(LOOPBACK), dhtPort: 1 },
    });
    // what hyperdht is handed, not what was meant: loopback only, never the public bootstrap nodes
    const { bootstrap: used, host: bound } = d.dhtConfig;
    if (used.length === 0 || bound !== LOOPBACK || used.some((b) => b.host !== LOOPBACK)) throw new Error(`${name}: DHT bootstrap ${JSON.stringify(used)} on ${bound} is not loopback only`);
    return d;
  };
  const all: HyperswarmDiscovery[] = [];
  const testnet = await createTestnet(3, { host: LOOPBACK });
  const vtep = IpAddr.parse(host.ipv4);
  const driver = new OverlayDriver({ netlink, firewall, sysctl: new ProcSysctl(), hostNs: host.ns.ref, vtep: () => vtep });
  let networkId: string | undefined;
  try {
    const a = member('m1', testnet.bootstrap, true);
    all.push(a);
    await a.start();
    const bootstrap = [a.dhtAddress!, ...testnet.bootstrap];
    const b = member('m2', bootstrap);
    all.push(b);
    await b.start();
    await until('two members linked', () => a.members().filter((m) => m.alive && m.info).length === 2);
    const subnet = Prefix.parse('10.214.0.0/16');
    const net = await a.createNetwork({ id: generateId(), name: 'join-bench', subnet, gateway: subnet.nth(1n), blockLength: 24, internal: false, attachable: true, options: {} });
    networkId = net.id;
    await until('network on member 2', () => b.networks().length === 1);
    for (const [i, m] of [a, b].entries()) {
      for (let k = 0; k < ENDPOINTS; k++) {
        const ip = IpAddr.parse(`10.214.${i + 1}.${k + 2}`);
        m.announce({ networkId: net.id, endpointId: generateId(), name: `m${i + 1}-${k}`, aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse(`192.0.2.${i + 1}`) });
      }
    }
    await until('endpoints on both members', () => a.peers(net.id).length === 2 * ENDPOINTS && b.peers(net.id).length === 2 * ENDPOINTS);

    const joiner = member(`joiner${j}`, bootstrap);
    all.push(joiner);
    let networkAt = 0;
    let failed: unknown;
    const onEvent = (e: PeerEvent) => {
      if (e.kind === 'network-add') {
        networkAt ||= performance.now();
        const n = e.network;
        const options = driver.parseOptions({ 'com.docker.network.driver.overlay.vxlanid_list': String(n.vni) });
        driver
          .createNetwork({ networkId: n.id, name: n.name, options, internal: false, enableIpv6: false, ipv4: [{ subnet: n.subnet, gateway: n.gateway }], ipv6: [] })
          .then(() => joiner.join(n.id))
          .catch((err) => (failed = err));
      } else if (e.kind === 'add' || e.kind === 'remove') {
        driver.onPeerEvent(e.peer.networkId, e).catch((err) => (failed = err));
      }
    };
    joiner.subscribe(onEvent);
    const t0 = performance.now();
    await joiner.start();
    await until(`joiner ${j} programmed`, () => {
      if (failed) throw failed;
      return driver.remotePeers(net.id).length === 2 * ENDPOINTS;
    });
    await driver.idle();
    const full = performance.now() - t0;
    const fdb = (await netlink.listFdbEntries(host.ns.ref, `vx-${net.id.slice(0, 12)}`)).filter((e) => e.dst !== undefined);
    if (fdb.length !== 2 * ENDPOINTS) throw new Error(`joiner ${j}: ${fdb.length} FDB entries, expected ${2 * ENDPOINTS}`);
    return { network: networkAt - t0, full };
  } finally {
    for (const d of all.reverse()) await d.stop().catch(() => undefined);
    if (networkId) await driver.deleteNetwork(networkId).catch(() => undefined);
    await testnet.destroy();
  }
}

/** Polled every 5 ms: the poll interval is part of each measured join time. */
function until(what: string, cond: () => boolean): Promise<boolean> {
  return eventually(what, cond, JOIN_TIMEOUT_MS, 5);
}
