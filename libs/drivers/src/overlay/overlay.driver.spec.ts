import { IpAddr, MacAddr, Prefix, generateId } from '@app/common';
import { FakeFirewall, FakeNetlink, FakeSysctl } from '@app/kernel/testing';
import type { NetnsRef } from '@app/kernel';
import { FakeDiscovery, FakeHub } from '@app/overlay/testing';
import type { CreateNetworkRequest } from '../driver-api';
import { OverlayDriver } from './overlay.driver';
import type { OverlayOptions } from './overlay.options';

const NET = 'abcdef012345' + '0'.repeat(52);
const BR = 'ov-abcdef012345';
const VX = 'vx-abcdef012345';

/** One simulated host: its namespace with an underlay device, a sandbox, a driver. */
async function host(netlink: FakeNetlink, firewall: FakeFirewall, n: number, underlayMtu = 1500) {
  const hostNs = netlink.addNamespace(`/run/netns/host${n}`);
  const sandbox = netlink.addNamespace(`/run/netns/c${n}`);
  await netlink.createLink(hostNs, { kind: 'dummy', name: 'eth0', mtu: underlayMtu });
  const vtep = IpAddr.parse(`192.0.2.${n}`);
  await netlink.addAddress(hostNs, 'eth0', Prefix.of(vtep, 24));
  let inCluster = true;
  const driver = new OverlayDriver({ netlink, firewall, sysctl: new FakeSysctl(netlink), hostNs, vtep: () => (inCluster ? vtep : undefined) });
  return { hostNs, sandbox, vtep, driver, leaveCluster: () => void (inCluster = false) };
}

function req(driver: OverlayDriver, over: Partial<CreateNetworkRequest<OverlayOptions>> & { raw?: Record<string, string> } = {}): CreateNetworkRequest<OverlayOptions> {
  return {
    networkId: NET,
    name: 'ov',
    options: driver.parseOptions(over.raw ?? { 'com.docker.network.driver.overlay.vxlanid_list': '4097' }),
    internal: false,
    enableIpv6: false,
    ipv4: [{ subnet: Prefix.parse('10.90.0.0/16'), gateway: IpAddr.parse('10.90.0.1') }],
    ipv6: [],
    ...over,
  };
}

async function join(driver: OverlayDriver, sandbox: NetnsRef, ip: string, endpointId = generateId()) {
  const { mac } = await driver.createEndpoint({ networkId: NET, endpointId, addresses: [Prefix.parse(ip)] });
  await driver.join({ networkId: NET, endpointId, sandbox, ifname: 'eth0', defaultRoute: true });
  return { endpointId, mac, ip: Prefix.parse(ip).address };
}

/** What apps/netd/src/cluster does: discovery's endpoint events into the driver. */
function wire(d: FakeDiscovery, driver: OverlayDriver, errors: unknown[]) {
  d.subscribe((e) => {
    if (e.kind === 'add' || e.kind === 'remove') driver.onPeerEvent(e.peer.networkId, e).catch((err) => errors.push(err));
  });
}

/** The same fake, counting every verb called on it (the cost of an operation in netlink calls). */
function counting(fake: FakeNetlink): { netlink: FakeNetlink; calls: () => number; reset: () => void } {
  let n = 0;
  const netlink = new Proxy(fake, {
    get(target, key) {
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (...args: unknown[]) => ((n += 1), (v as (...a: unknown[]) => unknown).apply(target, args)) : v;
    },
  });
  return { netlink, calls: () => n, reset: () => void (n = 0) };
}

const remotePeer = (i: number) => {
  const ip = IpAddr.parse(`10.90.${100 + (i >> 8)}.${i & 255}`);
  return { networkId: NET, endpointId: generateId(), name: `r${i}`, aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse(`192.0.2.${2 + (i % 3)}`), node: 'n'.repeat(64) };
};

const names = (fake: FakeNetlink, ns: NetnsRef) => fake.linksIn(ns).map((l) => l.name).sort();
const table = (fw: FakeFirewall, ns: NetnsRef) => fw.tableOf(ns, 'inet', 'netd_overlay') ?? '';

describe(OverlayDriver.name, () => {
  describe('parseOptions', () => {
    const d = new OverlayDriver({ netlink: new FakeNetlink(), firewall: new FakeFirewall(), sysctl: new FakeSysctl(), hostNs: { path: '/x' }, vtep: () => undefined });
    it.each<{ name: string; raw: Record<string, string>; message: string | RegExp }>([
      { name: 'VNI below 4096', raw: { 'com.docker.network.driver.overlay.vxlanid_list': '4095' }, message: /between 4096 and 16777215/ },
      { name: 'two VNIs', raw: { 'com.docker.network.driver.overlay.vxlanid_list': '5000,5001' }, message: /exactly one VNI/ },
      { name: 'encryption', raw: { encrypted: '' }, message: 'encrypted overlay networks are not supported by netd' },
      { name: 'an unknown key', raw: { 'com.docker.network.bridge.name': 'x' }, message: 'unknown option for the overlay driver: com.docker.network.bridge.name' },
      { name: 'a bad MTU', raw: { 'com.docker.network.driver.mtu': '9x' }, message: /invalid value "9x"/ },
    ])('rejects $name', ({ raw, message }) => {
      expect(() => d.parseOptions(raw)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringMatching(message) }));
    });

    it('reads the VNI and the MTU', () => {
      expect(d.parseOptions({ 'com.docker.network.driver.overlay.vxlanid_list': '70000', 'com.docker.network.driver.mtu': '1400' })).toEqual({ vni: 70000, mtu: 1400 });
    });
  });

  describe('createNetwork', () => {
    it('brings up a bridge and a learning-free, ARP-suppressing vxlan port with MTU = underlay − 50', async () => {
      const netlink = new FakeNetlink();
      const fw = new FakeFirewall();
      const h = await host(netlink, fw, 1, 9000);
      await h.driver.createNetwork(req(h.driver));
      const links = netlink.linksIn(h.hostNs);
      expect(links.find((l) => l.name === BR)).toMatchObject({ kind: 'bridge', up: true, mtu: 8950 });
      expect(links.find((l) => l.name === VX)).toMatchObject({
        kind: 'vxlan',
        up: true,
        mtu: 8950,
        master: BR,
        vxlan: { vni: 4097, port: 4789, learning: false, proxy: true, local: h.vtep },
      });
      expect(netlink.addressesOf(h.hostNs, BR).map(String)).toEqual(['10.90.0.1/16']);
      expect(netlink.fdbOf(h.hostNs, VX)).toEqual([]);
      expect(table(fw, h.hostNs)).toContain('udp dport 4789 ip saddr != @vxlan_peers4 drop');
      expect(table(fw, h.hostNs)).toContain('ip saddr 10.90.0.0/16 oifname != "ov-abcdef012345" masquerade');
    });

    it('converges when replayed (daemon restart) and honours an MTU option', async () => {
      const netlink = new FakeNetlink();
      const h = await host(netlink, new FakeFirewall(), 1);
      const raw = { 'com.docker.network.driver.overlay.vxlanid_list': '4097', 'com.docker.network.driver.mtu': '1300' };
      await h.driver.createNetwork(req(h.driver, { raw }));
      await h.driver.createNetwork(req(h.driver, { raw }));
      expect(names(netlink, h.hostNs)).toEqual(['eth0', 'lo', BR, VX]);
      expect(netlink.linksIn(h.hostNs).find((l) => l.name === VX)?.mtu).toBe(1300);
      expect(netlink.addressesOf(h.hostNs, BR)).toHaveLength(1);
    });

    it.each([
      { name: 'outside a cluster', prep: (h: Awaited<ReturnType<typeof host>>) => h.leaveCluster(), over: {}, kind: 'unavailable' },
      { name: 'without a VNI', prep: () => undefined, over: { raw: {} }, kind: 'invalid-parameter' },
      { name: 'with IPv6', prep: () => undefined, over: { enableIpv6: true }, kind: 'invalid-parameter' },
    ])('refuses to run $name and leaves nothing behind', async ({ prep, over, kind }) => {
      const netlink = new FakeNetlink();
      const h = await host(netlink, new FakeFirewall(), 1);
      prep(h);
      await expect(h.driver.createNetwork(req(h.driver, over))).rejects.toMatchObject({ kind });
      expect(names(netlink, h.hostNs)).toEqual(['eth0', 'lo']);
    });

    it('removes what it made when a step fails', async () => {
      const netlink = new FakeNetlink();
      const h = await host(netlink, new FakeFirewall(), 1);
      await netlink.createLink(h.hostNs, { kind: 'vxlan', name: 'other', vni: 4097 });
      await expect(h.driver.createNetwork(req(h.driver))).rejects.toMatchObject({ kind: 'conflict' });
      expect(names(netlink, h.hostNs)).toEqual(['eth0', 'lo', 'other']);
    });

    it('gives an internal network no gateway, no masquerade and no way out', async () => {
      const netlink = new FakeNetlink();
      const fw = new FakeFirewall();
      const h = await host(netlink, fw, 1);
      await h.driver.createNetwork(req(h.driver, { internal: true }));
      expect(netlink.addressesOf(h.hostNs, BR)).toEqual([]);
      expect(table(fw, h.hostNs)).toContain('iifname "ov-abcdef012345" oifname != "ov-abcdef012345" drop');
      expect(table(fw, h.hostNs)).not.toContain('masquerade');
      const ep = await join(h.driver, h.sandbox, '10.90.1.2/16');
      expect(netlink.routesIn(h.sandbox).filter((r) => r.dst.length === 0)).toEqual([]);
      expect(ep.mac.equals(MacAddr.fromIpv4(ep.ip))).toBe(true);
    });
  });

  describe('join', () => {
    it('plugs a veth into the sandbox with address, lo, default route and the network MTU', async () => {
      const netlink = new FakeNetlink();
      const h = await host(netlink, new FakeFirewall(), 1);
      await h.driver.createNetwork(req(h.driver));
      const ep = await join(h.driver, h.sandbox, '10.90.1.2/16');
      const eth0 = netlink.linksIn(h.sandbox).find((l) => l.name === 'eth0');
      expect(eth0).toMatchObject({ kind: 'veth', up: true, mtu: 1450 });
      expect(eth0?.mac?.equals(ep.mac)).toBe(true);
      expect(netlink.addressesOf(h.sandbox, 'eth0').map(String)).toEqual(['10.90.1.2/16']);
      expect(netlink.linksIn(h.sandbox).find((l) => l.name === 'lo')?.up).toBe(true);
      expect(netlink.routesIn(h.sandbox).find((r) => r.dst.length === 0)?.gateway?.toString()).toBe('10.90.0.1');
      expect(netlink.linksIn(h.hostNs).find((l) => l.name === `veth${ep.endpointId.slice(0, 7)}`)?.master).toBe(BR);
    });

    it('rejects an address outside the subnet before touching anything', async () => {
      const netlink = new FakeNetlink();
      const h = await host(netlink, new FakeFirewall(), 1);
      await h.driver.createNetwork(req(h.driver));
      await expect(h.driver.createEndpoint({ networkId: NET, endpointId: generateId(), addresses: [Prefix.parse('10.91.0.2/16')] })).rejects.toMatchObject({
        kind: 'invalid-parameter',
      });
    });
  });

  describe('onPeerEvent', () => {
    async function twoHosts() {
      const netlink = new FakeNetlink();
      const fw = new FakeFirewall();
      const hub = new FakeHub();
      const a = await host(netlink, fw, 1);
      const b = await host(netlink, fw, 2);
      // da founds the cluster (the first voter), db is admitted as it joins
      const da = new FakeDiscovery(hub, { founder: true });
      const db = new FakeDiscovery(hub);
      const errors: unknown[] = [];
      wire(da, a.driver, errors);
      wire(db, b.driver, errors);
      await da.start();
      await db.start();
      await hub.settle();
      const net = await da.createNetwork({ id: NET, name: 'ov', subnet: Prefix.parse('10.90.0.0/16'), gateway: IpAddr.parse('10.90.0.1'), blockLength: 24, internal: false, attachable: true, options: {} });
      await hub.settle();
      da.join(NET);
      db.join(NET);
      const settle = async () => {
        await hub.settle();
        await Promise.all([a.driver.idle(), b.driver.idle()]);
      };
      return { netlink, fw, hub, a, b, da, db, net, errors, settle, stop: () => Promise.all([da.stop(), db.stop()]) };
    }

    const announce = (d: FakeDiscovery, ep: { endpointId: string; mac: MacAddr; ip: IpAddr }, vtep: IpAddr, name: string) =>
      d.announce({ networkId: NET, endpointId: ep.endpointId, name, aliases: [], ip: ep.ip, mac: ep.mac, vtep });

    it('programs FDB and neighbour entries on the vxlan device for remote endpoints only, none in sandboxes, and removes them on withdraw', async () => {
      const s = await twoHosts();
      try {
        for (const h of [s.a, s.b]) await h.driver.createNetwork(req(h.driver, { raw: { 'com.docker.network.driver.overlay.vxlanid_list': String(s.net.vni) } }));
        const e1 = await join(s.a.driver, s.a.sandbox, '10.90.1.2/16');
        const e2 = await join(s.b.driver, s.b.sandbox, '10.90.2.2/16');
        announce(s.da, e1, s.a.vtep, 'c1');
        announce(s.db, e2, s.b.vtep, 'c2');
        await s.settle();
        expect(s.netlink.fdbOf(s.b.hostNs, VX)).toEqual([{ dev: VX, mac: e1.mac, dst: s.a.vtep }]);
        expect(s.netlink.fdbOf(s.a.hostNs, VX)).toEqual([{ dev: VX, mac: e2.mac, dst: s.b.vtep }]);
        expect(s.netlink.neighborsOf(s.b.hostNs, VX)).toEqual([{ dev: VX, ip: e1.ip, mac: e1.mac }]);
        expect(s.netlink.neighborsOf(s.a.hostNs, VX)).toEqual([{ dev: VX, ip: e2.ip, mac: e2.mac }]);
        for (const h of [s.a, s.b]) expect(s.netlink.neighborsOf(h.sandbox, 'eth0')).toEqual([]);
        expect(table(s.fw, s.b.hostNs)).toContain('elements = { 192.0.2.1 }');
        s.da.withdraw(NET, e1.endpointId);
        await s.settle();
        expect(s.netlink.fdbOf(s.b.hostNs, VX)).toEqual([]);
        expect(s.netlink.neighborsOf(s.b.hostNs, VX)).toEqual([]);
        expect(s.netlink.neighborsOf(s.a.hostNs, VX)).toHaveLength(1);
        expect(table(s.fw, s.b.hostNs)).not.toContain('192.0.2.1');
        expect(s.errors).toEqual([]);
      } finally {
        await s.stop();
      }
    });

    it('replays peers known before the network came up onto the vxlan device, and leaves sandboxes that join later empty', async () => {
      const s = await twoHosts();
      try {
        await s.a.driver.createNetwork(req(s.a.driver, { raw: { 'com.docker.network.driver.overlay.vxlanid_list': String(s.net.vni) } }));
        const e1 = await join(s.a.driver, s.a.sandbox, '10.90.1.2/16');
        announce(s.da, e1, s.a.vtep, 'c1');
        await s.settle();
        expect(s.b.driver.remotePeers(NET).map((p) => p.endpointId)).toEqual([e1.endpointId]);
        await s.b.driver.createNetwork(req(s.b.driver, { raw: { 'com.docker.network.driver.overlay.vxlanid_list': String(s.net.vni) } }));
        expect(s.netlink.fdbOf(s.b.hostNs, VX)).toEqual([{ dev: VX, mac: e1.mac, dst: s.a.vtep }]);
        expect(s.netlink.neighborsOf(s.b.hostNs, VX)).toEqual([{ dev: VX, ip: e1.ip, mac: e1.mac }]);
        await join(s.b.driver, s.b.sandbox, '10.90.2.2/16');
        expect(s.netlink.neighborsOf(s.b.sandbox, 'eth0')).toEqual([]);
      } finally {
        await s.stop();
      }
    });

    it('rejects an event whose peer belongs to another network', async () => {
      const s = await twoHosts();
      try {
        const peer = { networkId: generateId(), endpointId: generateId(), name: 'x', aliases: [], ip: IpAddr.parse('10.90.9.9'), mac: MacAddr.fromIpv4(IpAddr.parse('10.90.9.9')), vtep: IpAddr.parse('192.0.2.9'), node: s.da.nodeId };
        await expect(s.b.driver.onPeerEvent(NET, { kind: 'add', peer })).rejects.toMatchObject({ kind: 'invalid-parameter' });
      } finally {
        await s.stop();
      }
    });
  });

  describe('cost in netlink calls', () => {
    it('adds and removes a peer in the same number of calls with 1 or 20 local sandboxes', async () => {
      const cost = async (sandboxes: number) => {
        const c = counting(new FakeNetlink());
        const h = await host(c.netlink, new FakeFirewall(), 1);
        await h.driver.createNetwork(req(h.driver));
        const made = Array.from({ length: sandboxes }, (_, i) => c.netlink.addNamespace(`/run/netns/c1-${i}`));
        for (const [i, sb] of made.entries()) await join(h.driver, sb, `10.90.1.${i + 2}/16`);
        const p = remotePeer(1);
        c.reset();
        await h.driver.onPeerEvent(NET, { kind: 'add', peer: p });
        const add = c.calls();
        c.reset();
        await h.driver.onPeerEvent(NET, { kind: 'remove', peer: p });
        return { add, remove: c.calls(), neighboursInSandboxes: made.flatMap((sb) => c.netlink.neighborsOf(sb, 'eth0')) };
      };
      const one = await cost(1);
      const many = await cost(20);
      expect(many).toEqual(one);
      expect(one.add).toBeGreaterThan(0);
      expect(many.neighboursInSandboxes).toEqual([]);
    });

    it('joins a sandbox in the same number of calls with 1 or 50 remote peers known', async () => {
      const cost = async (peers: number) => {
        const c = counting(new FakeNetlink());
        const h = await host(c.netlink, new FakeFirewall(), 1);
        await h.driver.createNetwork(req(h.driver));
        for (let i = 0; i < peers; i++) await h.driver.onPeerEvent(NET, { kind: 'add', peer: remotePeer(i) });
        expect(c.netlink.neighborsOf(h.hostNs, VX)).toHaveLength(peers);
        c.reset();
        await join(h.driver, h.sandbox, '10.90.1.2/16');
        return c.calls();
      };
      expect(await cost(50)).toBe(await cost(1));
    });
  });

  describe('a vxlan device made by an older netd (no ARP suppression)', () => {
    it('is made again with proxy on restart, keeping its FDB entries, and the re-joined sandboxes lose the old per-sandbox neighbours', async () => {
      const netlink = new FakeNetlink();
      const firewall = new FakeFirewall();
      const h = await host(netlink, firewall, 1);
      await h.driver.createNetwork(req(h.driver));
      const ep = await join(h.driver, h.sandbox, '10.90.1.2/16');
      const p = remotePeer(7);
      // What the older netd left: a vxlan device without proxy holding the FDB entry, and the
      // neighbour inside the sandbox (plus one of the user's, outside the overlay's subnet).
      await netlink.deleteLink(h.hostNs, VX);
      await netlink.createLink(h.hostNs, { kind: 'vxlan', name: VX, vni: 4097, local: h.vtep, learning: false, mtu: 1450 });
      await netlink.setLinkMaster(h.hostNs, VX, BR);
      await netlink.setLinkUp(h.hostNs, VX);
      await netlink.addFdbEntry(h.hostNs, { dev: VX, mac: p.mac, dst: p.vtep });
      await netlink.addNeighbor(h.sandbox, { dev: 'eth0', ip: p.ip, mac: p.mac });
      const users = { dev: 'eth0', ip: IpAddr.parse('10.91.0.9'), mac: MacAddr.parse('02:00:00:00:00:09') };
      await netlink.addNeighbor(h.sandbox, users);

      const again = new OverlayDriver({ netlink, firewall, sysctl: new FakeSysctl(netlink), hostNs: h.hostNs, vtep: () => h.vtep });
      await again.createNetwork(req(again));
      expect(netlink.linksIn(h.hostNs).find((l) => l.name === VX)).toMatchObject({ up: true, master: BR, vxlan: { vni: 4097, proxy: true, learning: false } });
      expect(netlink.fdbOf(h.hostNs, VX)).toEqual([{ dev: VX, mac: p.mac, dst: p.vtep }]);
      // The reconciler joins the endpoints it finds again.
      await again.createEndpoint({ networkId: NET, endpointId: ep.endpointId, addresses: [Prefix.parse('10.90.1.2/16')] });
      await again.join({ networkId: NET, endpointId: ep.endpointId, sandbox: h.sandbox, ifname: 'eth0', defaultRoute: true });
      expect(netlink.neighborsOf(h.sandbox, 'eth0')).toEqual([users]);
      await again.onPeerEvent(NET, { kind: 'add', peer: p });
      expect(netlink.neighborsOf(h.hostNs, VX)).toEqual([{ dev: VX, ip: p.ip, mac: p.mac }]);

      const linksBefore = netlink.linksIn(h.hostNs).find((l) => l.name === VX)?.index;
      await again.createNetwork(req(again));
      expect(netlink.linksIn(h.hostNs).find((l) => l.name === VX)?.index).toBe(linksBefore);
    });
  });

  describe('pruneInheritedFdb', () => {
    const peer = (ip: string, vtep: string) => {
      const addr = IpAddr.parse(ip);
      return { networkId: NET, endpointId: generateId(), name: ip, aliases: [], ip: addr, mac: MacAddr.fromIpv4(addr), vtep: IpAddr.parse(vtep), node: 'n'.repeat(64) };
    };

    it('after a restart, removes the FDB and neighbour entries of peers that vanished while the daemon was down, and keeps re-announced ones', async () => {
      const netlink = new FakeNetlink();
      const firewall = new FakeFirewall();
      const h = await host(netlink, firewall, 1);
      const stays = peer('10.90.2.2', '192.0.2.2');
      const gone = peer('10.90.3.2', '192.0.2.3');
      await h.driver.createNetwork(req(h.driver));
      for (const p of [stays, gone]) await h.driver.onPeerEvent(NET, { kind: 'add', peer: p });
      // kill -9: a new driver on the same kernel state; only `stays` is announced again
      const again = new OverlayDriver({ netlink, firewall, sysctl: new FakeSysctl(netlink), hostNs: h.hostNs, vtep: () => h.vtep });
      await again.createNetwork(req(again));
      await again.createNetwork(req(again));
      await again.onPeerEvent(NET, { kind: 'add', peer: stays });
      expect(netlink.fdbOf(h.hostNs, VX).map((e) => e.dst?.toString()).sort()).toEqual(['192.0.2.2', '192.0.2.3']);
      await again.pruneInheritedFdb(NET);
      expect(netlink.fdbOf(h.hostNs, VX).map((e) => [e.mac.toString(), e.dst?.toString()])).toEqual([[stays.mac.toString(), '192.0.2.2']]);
      expect(netlink.neighborsOf(h.hostNs, VX)).toEqual([{ dev: VX, ip: stays.ip, mac: stays.mac }]);
    });

    it('leaves a freshly created network alone', async () => {
      const netlink = new FakeNetlink();
      const h = await host(netlink, new FakeFirewall(), 1);
      await h.driver.createNetwork(req(h.driver));
      const p = peer('10.90.2.9', '192.0.2.2');
      await h.driver.onPeerEvent(NET, { kind: 'add', peer: p });
      await h.driver.pruneInheritedFdb(NET);
      expect(netlink.fdbOf(h.hostNs, VX).map((e) => e.dst?.toString())).toEqual(['192.0.2.2']);
    });
  });

  describe('deleteNetwork', () => {
    it('leaves no vxlan, bridge, veth or FDB entry, and drops the network from the firewall', async () => {
      const netlink = new FakeNetlink();
      const fw = new FakeFirewall();
      const h = await host(netlink, fw, 1);
      await h.driver.createNetwork(req(h.driver));
      await join(h.driver, h.sandbox, '10.90.1.2/16');
      const ip = IpAddr.parse('10.90.2.2');
      await h.driver.onPeerEvent(NET, { kind: 'add', peer: { networkId: NET, endpointId: generateId(), name: 'r', aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse('192.0.2.2'), node: 'n' } });
      expect(netlink.fdbOf(h.hostNs, VX)).toHaveLength(1);
      await h.driver.deleteNetwork(NET);
      expect(names(netlink, h.hostNs)).toEqual(['eth0', 'lo']);
      expect(names(netlink, h.sandbox)).toEqual(['lo']);
      expect(table(fw, h.hostNs)).not.toContain('ov-abcdef012345');
      expect(table(fw, h.hostNs)).not.toContain('192.0.2.2');
      await expect(h.driver.deleteNetwork(NET)).rejects.toMatchObject({ kind: 'not-found' });
    });
  });
});
