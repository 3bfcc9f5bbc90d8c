import { generateId, IpAddr, MacAddr, Prefix } from '@app/common';
import { NftFirewall, ProcSysctl, RtNetlink } from '@app/kernel';
import { bridgeJson, createTempNetns, describeAsRoot, ipJson, nsExec, run, type TempNetns } from '@app/kernel/testing';
import type { ClusterNetwork } from '@app/overlay';
import { FakeDiscovery, FakeHub } from '@app/overlay/testing';
import { eventually } from '@app/common/testing';
import { pings } from '../testing/processes';
import { OverlayDriver } from './overlay.driver';
import { OPTION_VXLANID_LIST } from './overlay.options';

// The data plane on real kernel objects, without the daemon: three "hosts" (namespaces) on an
// underlay bridge in its own namespace, TEST-NET-1 addresses only inside those namespaces, the real
// gossip logic on an in-memory wire feeding each host's OverlayDriver.
jest.setTimeout(90_000);

interface IpLink {
  ifname: string;
  mtu: number;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; port?: number; learning?: boolean; proxy?: boolean; local?: string } };
  stats64?: { rx: { packets: number } };
}
interface FdbEntry { mac: string; dst?: string; state?: string; flags?: string[] }
interface Neigh { dst: string; lladdr?: string; state: string[] }

const UNDERLAY = (n: number) => IpAddr.parse(`192.0.2.${n}`);
const INTRUDER = 99;

interface Host {
  readonly n: number;
  readonly ns: TempNetns;
  readonly vtep: IpAddr;
  readonly driver: OverlayDriver;
  readonly discovery: FakeDiscovery;
  readonly errors: unknown[];
  sandbox?: { ns: TempNetns; endpointId: string; ip: IpAddr; mac: MacAddr };
}

/** The cluster network on one host, as netd's cluster service creates it in the driver. */
function createOn(driver: OverlayDriver, net: ClusterNetwork): Promise<void> {
  return driver.createNetwork({
    networkId: net.id,
    name: net.name,
    options: driver.parseOptions({ [OPTION_VXLANID_LIST]: String(net.vni) }),
    internal: net.internal,
    enableIpv6: false,
    ipv4: [{ subnet: net.subnet, gateway: net.gateway }],
    ipv6: [],
  });
}

describeAsRoot('OverlayDriver on the kernel: three hosts over VXLAN', () => {
  const namespaces: TempNetns[] = [];
  const netlink = new RtNetlink();
  const firewall = new NftFirewall();
  const hub = new FakeHub();
  const hosts: Host[] = [];
  let segment: TempNetns;
  let net: ClusterNetwork;

  async function netns(): Promise<TempNetns> {
    const ns = await createTempNetns();
    namespaces.push(ns);
    return ns;
  }

  /** A namespace plugged into the underlay bridge with 192.0.2.<n>/24 on `ul0`. */
  async function plug(n: number): Promise<TempNetns> {
    const ns = await netns();
    const port = `p${n}`;
    await run('ip', ['-n', segment.name, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', ns.name]);
    await run('ip', ['-n', segment.name, 'link', 'set', port, 'master', 'ul', 'up']);
    await run('ip', ['-n', ns.name, 'addr', 'add', `${UNDERLAY(n)}/24`, 'dev', 'ul0']);
    await run('ip', ['-n', ns.name, 'link', 'set', 'ul0', 'up']);
    await run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  const vx = () => `vx-${net.id.slice(0, 12)}`;
  const br = () => `ov-${net.id.slice(0, 12)}`;
  const vxLink = async (h: Host) => (await ipJson<IpLink[]>(h.ns.name, ['-d', '-s', 'link', 'show', vx()]))[0];
  const remoteFdb = async (h: Host) => (await bridgeJson<FdbEntry[]>(h.ns.name, ['fdb', 'show', 'dev', vx()])).filter((e) => e.dst !== undefined);
  /** Permanent neighbours as `ip lladdr`: on the vxlan device of a host, or in a sandbox. */
  const permanent = async (ns: string, args: readonly string[] = []) =>
    (await ipJson<Neigh[]>(ns, ['neigh', 'show', ...args])).filter((n) => n.state.includes('PERMANENT')).map((n) => `${n.dst} ${n.lladdr}`).sort();
  const expected = (hs: readonly Host[]) => hs.map((o) => `${o.sandbox!.ip} ${o.sandbox!.mac}`).sort();

  async function settle(): Promise<void> {
    await hub.settle();
    for (const h of hosts) await h.driver.idle();
    for (const h of hosts) if (h.errors.length > 0) throw new AggregateError(h.errors, `peer events failed on host ${h.n}`);
  }

  beforeAll(async () => {
    segment = await netns();
    await run('ip', ['-n', segment.name, 'link', 'add', 'ul', 'type', 'bridge']);
    await run('ip', ['-n', segment.name, 'link', 'set', 'ul', 'up']);
    for (const n of [1, 2, 3]) {
      const ns = await plug(n);
      const vtep = UNDERLAY(n);
      const driver = new OverlayDriver({ netlink, firewall, sysctl: new ProcSysctl(), hostNs: ns.ref, vtep: () => vtep });
      const discovery = new FakeDiscovery(hub, { node: { name: `host${n}`, advertiseAddr: vtep, dhtPort: 49737 }, tickMs: 500, founder: n === 1 });
      const h: Host = { n, ns, vtep, driver, discovery, errors: [] };
      // What the daemon's cluster service does: endpoint events of the cluster into the driver.
      discovery.subscribe((e) => {
        if (e.kind === 'add' || e.kind === 'remove') driver.onPeerEvent(e.peer.networkId, e).catch((err) => h.errors.push(err));
      });
      hosts.push(h);
    }
    for (const h of hosts) await h.discovery.start();
    await hub.settle();

    const third = 64 + Math.floor(Math.random() * 64);
    const subnet = Prefix.parse(`10.${third}.0.0/16`);
    net = await hosts[0].discovery.createNetwork({ id: generateId(), name: 'ovl', subnet, gateway: subnet.nth(1n), blockLength: 24, internal: false, attachable: true, options: {} });
    await hub.settle();
    for (const h of hosts) {
      expect(h.discovery.networks().map((x) => [x.id, x.vni])).toEqual([[net.id, net.vni]]);
      h.discovery.join(net.id);
      await createOn(h.driver, net);
    }
    const blocks = await Promise.all(hosts.map((h) => h.discovery.leaseBlock(net.id)));
    expect(new Set(blocks.map(String)).size).toBe(3);
    for (const [i, h] of hosts.entries()) {
      const ns = await netns();
      const endpointId = generateId();
      const ip = blocks[i].nth(2n);
      const { mac } = await h.driver.createEndpoint({ networkId: net.id, endpointId, addresses: [Prefix.of(ip, subnet.length)] });
      await h.driver.join({ networkId: net.id, endpointId, sandbox: ns.ref, ifname: 'eth0', defaultRoute: true });
      h.discovery.announce({ networkId: net.id, endpointId, name: `c${h.n}`, aliases: [], ip, mac, vtep: h.vtep });
      h.sandbox = { ns, endpointId, ip, mac };
    }
    await settle();
  });

  afterAll(async () => {
    for (const h of hosts) await h.discovery.stop().catch(() => undefined);
    // In-process sockets and nft contexts would keep deleted namespaces (and their links) alive.
    netlink.close();
    firewall.close();
    for (const ns of namespaces.splice(0).reverse()) await ns.dispose().catch(() => undefined);
  });

  it('carries pings between sandboxes on every pair of hosts, by IP over VXLAN, with no neighbour entries in any sandbox', async () => {
    for (const h of hosts) expect(await permanent(h.sandbox!.ns.name)).toEqual([]);
    const failed: string[] = [];
    for (const a of hosts) {
      for (const b of hosts) {
        if (a !== b && !(await pings(a.sandbox!.ns.name, b.sandbox!.ip.toString()))) failed.push(`${a.n}→${b.n}`);
      }
    }
    expect(failed).toEqual([]);
  });

  it('keeps VXLAN between known peers and frames bridged within the network out of conntrack, while traffic to the host is still tracked', async () => {
    const [h1, h2] = hosts;
    const [s1, s2] = [h1.sandbox!.ip.toString(), h2.sandbox!.ip.toString()];
    expect(await pings(h1.sandbox!.ns.name, s2)).toBe(true);
    for (const h of [h1, h2]) {
      // A ping to the host's own gateway address: proof that conntrack runs in this namespace.
      expect(await pings(h.sandbox!.ns.name, net.gateway!.toString())).toBe(true);
      const entries = (await nsExec(h.ns.name, 'cat', ['/proc/net/nf_conntrack'])).split('\n');
      expect(entries.some((e) => / icmp /.test(e) && e.includes(`src=${h.sandbox!.ip} dst=${net.gateway}`))).toBe(true);
      expect(entries.filter((e) => e.includes('dport=4789'))).toEqual([]);
      // The sandbox-to-sandbox ping crossed both hosts' bridges (br_netfilter is on in these namespaces).
      expect(entries.filter((e) => e.includes(`src=${s1} dst=${s2}`) || e.includes(`src=${s2} dst=${s1}`))).toEqual([]);
    }
  });

  it('lets a sandbox egress through its own host, masqueraded and tracked; a sandbox of an internal overlay gets nowhere, even routing by hand', async () => {
    const h1 = hosts[0];
    // The world outside host 1: one namespace behind a veth, with a route back to every overlay
    // subnet through host 1 (as a router upstream could have), so only host 1's rules decide.
    const out = await netns();
    const [hostSide, outside] = ['172.31.250.1', '172.31.250.2'];
    await run('ip', ['-n', h1.ns.name, 'link', 'add', 'out0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', out.name]);
    await run('ip', ['-n', h1.ns.name, 'addr', 'add', `${hostSide}/24`, 'dev', 'out0']);
    await run('ip', ['-n', h1.ns.name, 'link', 'set', 'out0', 'up']);
    await run('ip', ['-n', out.name, 'addr', 'add', `${outside}/24`, 'dev', 'eth0']);
    await run('ip', ['-n', out.name, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['-n', out.name, 'route', 'add', '10.0.0.0/8', 'via', hostSide]);

    expect(await pings(h1.sandbox!.ns.name, outside)).toBe(true);
    const entries = (await nsExec(h1.ns.name, 'cat', ['/proc/net/nf_conntrack'])).split('\n');
    // Tracked, and the reply tuple names the host's address: the outside saw host 1, not the sandbox.
    expect(entries.some((e) => / icmp /.test(e) && e.includes(`src=${h1.sandbox!.ip} dst=${outside}`) && e.includes(`src=${outside} dst=${hostSide}`))).toBe(true);

    const third = 128 + Math.floor(Math.random() * 64);
    const subnet = Prefix.parse(`10.${third}.0.0/16`);
    const internal = await h1.discovery.createNetwork({ id: generateId(), name: 'int', subnet, gateway: subnet.nth(1n), blockLength: 24, internal: true, attachable: true, options: {} });
    await hub.settle();
    h1.discovery.join(internal.id);
    const endpointId = generateId();
    try {
      await createOn(h1.driver, internal);
      const ns = await netns();
      const ip = (await h1.discovery.leaseBlock(internal.id)).nth(2n);
      await h1.driver.createEndpoint({ networkId: internal.id, endpointId, addresses: [Prefix.of(ip, subnet.length)] });
      await h1.driver.join({ networkId: internal.id, endpointId, sandbox: ns.ref, ifname: 'eth0', defaultRoute: true });
      expect(await ipJson(ns.name, ['route', 'show', 'default'])).toEqual([]);
      // A sandbox that routes by hand: the internal bridge's MAC as its next hop. Host 1 forwards
      // (the other overlay turned forwarding on); only its fence keeps the packets in. The outside
      // counts what arrives from the internal subnet.
      const [bridge] = await ipJson<{ address: string }[]>(h1.ns.name, ['link', 'show', `ov-${internal.id.slice(0, 12)}`]);
      await run('ip', ['-n', ns.name, 'neigh', 'add', subnet.nth(1n).toString(), 'lladdr', bridge.address, 'dev', 'eth0', 'nud', 'permanent']);
      await run('ip', ['-n', ns.name, 'route', 'add', 'default', 'via', subnet.nth(1n).toString(), 'dev', 'eth0', 'onlink']);
      await nsExec(out.name, 'nft', ['-f', '-'], `table ip seen { chain pre { type filter hook prerouting priority 0; ip saddr ${subnet} counter; }; }\n`);
      expect(await pings(ns.name, outside)).toBe(false);
      expect(await nsExec(out.name, 'nft', ['list', 'table', 'ip', 'seen'])).toMatch(/counter packets 0 bytes 0/);
    } finally {
      await h1.driver.deleteEndpoint(internal.id, endpointId).catch(() => undefined);
      await h1.driver.deleteNetwork(internal.id).catch(() => undefined);
      h1.discovery.deleteNetwork(internal.id);
      await hub.settle();
      await run('ip', ['-n', h1.ns.name, 'link', 'del', 'out0']);
    }
  });

  it('makes a learning-free, ARP-suppressing vxlan port with static FDB and neighbour entries only (no flooding)', async () => {
    for (const h of hosts) {
      const link = await vxLink(h);
      expect(link.linkinfo).toMatchObject({ info_kind: 'vxlan', info_data: { id: net.vni, port: 4789, learning: false, proxy: true, local: h.vtep.toString() } });
      expect(link.mtu).toBe(1450);
      const fdb = await remoteFdb(h);
      const others = hosts.filter((o) => o !== h);
      expect(fdb.map((e) => [e.mac, e.dst, e.state]).sort()).toEqual(others.map((o) => [o.sandbox!.mac.toString(), o.vtep.toString(), 'permanent']).sort());
      expect(fdb.filter((e) => e.mac === '00:00:00:00:00:00')).toEqual([]);
      expect(await permanent(h.ns.name, ['dev', vx()])).toEqual(expected(others));
      expect(await permanent(h.sandbox!.ns.name)).toEqual([]);
    }
  });

  it('lets a sandbox that joins later reach the remote endpoints at once, its ARP answered by the vxlan port', async () => {
    const [h1, h2, h3] = hosts;
    const ns = await netns();
    const endpointId = generateId();
    const ip = IpAddr.fromBigInt(4, h1.sandbox!.ip.value + 1n);
    const { mac } = await h1.driver.createEndpoint({ networkId: net.id, endpointId, addresses: [Prefix.of(ip, net.subnet.length)] });
    await h1.driver.join({ networkId: net.id, endpointId, sandbox: ns.ref, ifname: 'eth0', defaultRoute: true });
    // The other hosts answer from their vxlan devices too: they must know the newcomer.
    h1.discovery.announce({ networkId: net.id, endpointId, name: 'late', aliases: [], ip, mac, vtep: h1.vtep });
    await settle();
    expect(await permanent(ns.name)).toEqual([]);
    for (const o of [h2, h3]) expect(await pings(ns.name, o.sandbox!.ip.toString())).toBe(true);
    // Resolved dynamically, with the MACs the other hosts announced.
    const learnt = (await ipJson<Neigh[]>(ns.name, ['neigh', 'show', 'dev', 'eth0'])).filter((n) => n.dst !== net.gateway?.toString());
    expect(learnt.map((n) => `${n.dst} ${n.lladdr}`).sort()).toEqual(expected([h2, h3]));
    expect(learnt.every((n) => !n.state.includes('PERMANENT'))).toBe(true);
    await h1.driver.deleteEndpoint(net.id, endpointId);
    h1.discovery.withdraw(net.id, endpointId);
    await settle();
    for (const o of [h2, h3]) expect(await permanent(o.ns.name, ['dev', vx()])).not.toContain(`${ip} ${mac}`);
  });

  it('brings a vxlan device made without ARP suppression (an older netd) to the new shape, FDB entries carried over', async () => {
    const h2 = hosts[1];
    const others = hosts.filter((o) => o !== h2);
    const fdbBefore = (await remoteFdb(h2)).map((e) => `${e.mac} ${e.dst}`).sort();
    // The shape an older netd left: no proxy, the remote endpoints as neighbours inside the sandbox.
    await run('ip', ['-n', h2.ns.name, 'link', 'del', vx()]);
    await run('ip', ['-n', h2.ns.name, 'link', 'add', vx(), 'mtu', '1450', 'type', 'vxlan', 'id', String(net.vni), 'local', h2.vtep.toString(), 'dstport', '4789', 'nolearning']);
    await run('ip', ['-n', h2.ns.name, 'link', 'set', vx(), 'master', br(), 'up']);
    for (const o of others) {
      await nsExec(h2.ns.name, 'bridge', ['fdb', 'add', o.sandbox!.mac.toString(), 'dev', vx(), 'dst', o.vtep.toString(), 'self', 'permanent']);
      await run('ip', ['-n', h2.sandbox!.ns.name, 'neigh', 'replace', o.sandbox!.ip.toString(), 'lladdr', o.sandbox!.mac.toString(), 'dev', 'eth0', 'nud', 'permanent']);
    }
    expect((await vxLink(h2)).linkinfo?.info_data?.proxy).toBeUndefined();

    await createOn(h2.driver, net);
    expect((await vxLink(h2)).linkinfo?.info_data?.proxy).toBe(true);
    expect((await remoteFdb(h2)).map((e) => `${e.mac} ${e.dst}`).sort()).toEqual(fdbBefore);
    expect(await permanent(h2.ns.name, ['dev', vx()])).toEqual(expected(others));
    expect(await permanent(h2.sandbox!.ns.name)).toEqual([]);
    await run('ip', ['-n', h2.sandbox!.ns.name, 'neigh', 'flush', 'dev', 'eth0']);
    for (const o of others) expect(await pings(h2.sandbox!.ns.name, o.sandbox!.ip.toString())).toBe(true);
  });

  it('drops VXLAN from an address that is not a known peer, and accepts it once the peer is known', async () => {
    const h1 = hosts[0];
    const intruder = await plug(INTRUDER);
    const ip = Prefix.parse(`${net.subnet.nth(250n * 256n + 9n)}/${net.subnet.length}`);
    const mac = MacAddr.fromIpv4(ip.address);
    // A hand-made VTEP with the right VNI that floods everything to host 1.
    await run('ip', ['-n', intruder.name, 'link', 'add', 'vxi', 'address', mac.toString(), 'type', 'vxlan', 'id', String(net.vni), 'local', UNDERLAY(INTRUDER).toString(), 'dstport', '4789', 'nolearning']);
    await run('ip', ['-n', intruder.name, 'addr', 'add', ip.toString(), 'dev', 'vxi']);
    await run('ip', ['-n', intruder.name, 'link', 'set', 'vxi', 'up']);
    await nsExec(intruder.name, 'bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxi', 'dst', h1.vtep.toString()]);
    const target = h1.sandbox!.ip.toString();
    // No ARP crosses hosts (a proxy vxlan port consumes every ARP frame), so a VTEP knows its peers' neighbours.
    await run('ip', ['-n', intruder.name, 'neigh', 'add', target, 'lladdr', h1.sandbox!.mac.toString(), 'dev', 'vxi', 'nud', 'permanent']);

    const before = (await vxLink(h1)).stats64!.rx.packets;
    expect(await pings(intruder.name, target)).toBe(false);
    expect((await vxLink(h1)).stats64!.rx.packets).toBe(before);

    const peer = { networkId: net.id, endpointId: generateId(), name: 'x', aliases: [], ip: ip.address, mac, vtep: UNDERLAY(INTRUDER), node: 'f'.repeat(64) };
    await h1.driver.onPeerEvent(net.id, { kind: 'add', peer });
    expect(await eventually('the intruder reaching the target', () => pings(intruder.name, target), 5000)).toBe(true);
    expect((await vxLink(h1)).stats64!.rx.packets).toBeGreaterThan(before);

    await h1.driver.onPeerEvent(net.id, { kind: 'remove', peer });
    expect(await remoteFdb(h1)).not.toContainEqual(expect.objectContaining({ dst: UNDERLAY(INTRUDER).toString() }));
    const after = (await vxLink(h1)).stats64!.rx.packets;
    expect(await pings(intruder.name, target)).toBe(false);
    expect((await vxLink(h1)).stats64!.rx.packets).toBe(after);
  });

  it('removes the endpoints from the other hosts, then leaves no vxlan, bridge or FDB entry on delete', async () => {
    const [h1, h2, h3] = hosts;
    await h3.driver.deleteEndpoint(net.id, h3.sandbox!.endpointId);
    h3.discovery.withdraw(net.id, h3.sandbox!.endpointId);
    await settle();
    for (const h of [h1, h2]) {
      expect((await remoteFdb(h)).map((e) => e.dst)).not.toContain(h3.vtep.toString());
      expect(await permanent(h.ns.name, ['dev', vx()])).toEqual(expected([h1, h2].filter((o) => o !== h)));
    }
    expect(await pings(h1.sandbox!.ns.name, h3.sandbox!.ip.toString())).toBe(false);
    expect(await pings(h1.sandbox!.ns.name, h2.sandbox!.ip.toString())).toBe(true);

    for (const h of [h1, h2]) {
      await h.driver.deleteEndpoint(net.id, h.sandbox!.endpointId);
      h.discovery.withdraw(net.id, h.sandbox!.endpointId);
    }
    await settle();
    for (const h of hosts) expect(await permanent(h.ns.name, ['dev', vx()])).toEqual([]);
    h1.discovery.deleteNetwork(net.id);
    await hub.settle();
    for (const h of hosts) {
      expect(h.discovery.networks()).toEqual([]);
      await h.driver.deleteNetwork(net.id);
      const links = await ipJson<IpLink[]>(h.ns.name, ['-d', 'link', 'show']);
      expect(links.filter((l) => l.linkinfo?.info_kind === 'vxlan' || l.linkinfo?.info_kind === 'bridge' || /^(ov|vx|veth)/.test(l.ifname))).toEqual([]);
      expect((await bridgeJson<FdbEntry[]>(h.ns.name, ['fdb', 'show'])).filter((e) => e.dst !== undefined)).toEqual([]);
      const table = await nsExec(h.ns.name, 'nft', ['list', 'table', 'inet', 'netd_overlay']);
      expect(table).not.toMatch(/192\.0\.2\./);
      expect(table).not.toContain(br());
    }
  });
});
