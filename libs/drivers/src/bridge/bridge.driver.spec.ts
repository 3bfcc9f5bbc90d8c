import { IpAddr, Prefix, SystemError } from '@app/common';
import { FakeFirewall, FakeNetlink, FakeSysctl } from '@app/kernel/testing';
import type { CreateNetworkRequest, NetworkSubnet } from '../driver-api';
import { BridgeDriver } from './bridge.driver';
import type { BridgeOptions } from './bridge.options';

const NET_A = 'aaaaaaaaaaaa' + '0'.repeat(52);
const NET_B = 'bbbbbbbbbbbb' + '0'.repeat(52);
const EP_1 = '1111111' + 'f'.repeat(57);
const EP_2 = '2222222' + 'e'.repeat(57);

function setup() {
  const netlink = new FakeNetlink();
  const host = netlink.addNamespace('/run/netns/host');
  const c1 = netlink.addNamespace('/run/netns/c1');
  const c2 = netlink.addNamespace('/run/netns/c2');
  const firewall = new FakeFirewall();
  const sysctl = new FakeSysctl(netlink);
  const driver = new BridgeDriver({ netlink, firewall, sysctl, hostNs: host });
  return { netlink, host, c1, c2, firewall, sysctl, driver };
}

const v4 = (subnet: string, gw: string): NetworkSubnet => ({ subnet: Prefix.parse(subnet), gateway: IpAddr.parse(gw) });

function req(driver: BridgeDriver, over: Partial<CreateNetworkRequest<BridgeOptions>> & { raw?: Record<string, string> } = {}): CreateNetworkRequest<BridgeOptions> {
  return {
    networkId: NET_A,
    name: 'a',
    options: driver.parseOptions(over.raw ?? {}),
    internal: false,
    enableIpv6: false,
    ipv4: [v4('172.18.0.0/16', '172.18.0.1')],
    ipv6: [],
    ...over,
  };
}

const names = (fake: FakeNetlink, ns: { path: string }) => fake.linksIn(ns).map((l) => l.name).sort();
const table = (fw: FakeFirewall, ns: { path: string }) => fw.tableOf(ns, 'inet', 'netd') ?? '';

async function joined(s: ReturnType<typeof setup>, ep = EP_1, ip = '172.18.0.2/16', sandbox = s.c1, extra: object = {}) {
  await s.driver.createEndpoint({ networkId: NET_A, endpointId: ep, addresses: [Prefix.parse(ip)] });
  return s.driver.join({ networkId: NET_A, endpointId: ep, sandbox, ifname: 'eth0', defaultRoute: true, ...extra });
}

describe(BridgeDriver.name, () => {
  describe('restoreNetworks', () => {
    const NET_C = 'cccccccccccc' + '0'.repeat(52);

    it('brings every network up as createNetwork would, reading links and addresses once for all', async () => {
      const s = setup();
      const reqs = [req(s.driver), req(s.driver, { networkId: NET_B, name: 'b', ipv4: [v4('172.19.0.0/16', '172.19.0.1')], raw: { 'com.docker.network.bridge.enable_icc': 'false' } })];
      const made = setup();
      for (const r of reqs) await made.driver.createNetwork({ ...r, options: made.driver.parseOptions(r === reqs[1] ? { 'com.docker.network.bridge.enable_icc': 'false' } : {}) });
      // One bridge survived the restart (with its address, down); the other is gone.
      await s.netlink.createLink(s.host, { kind: 'bridge', name: 'br-aaaaaaaaaaaa' });
      await s.netlink.addAddress(s.host, 'br-aaaaaaaaaaaa', Prefix.parse('172.18.0.1/16'));
      const calls: string[] = [];
      for (const m of ['listLinks', 'listAllAddresses', 'listAddresses', 'getLink'] as const) {
        const orig = s.netlink[m].bind(s.netlink) as (...a: unknown[]) => unknown;
        (s.netlink as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => (calls.push(m), orig(...a));
      }
      await s.driver.restoreNetworks(reqs);
      expect(calls.sort()).toEqual(['listAllAddresses', 'listLinks']);
      for (const br of ['br-aaaaaaaaaaaa', 'br-bbbbbbbbbbbb']) {
        expect(s.netlink.linksIn(s.host).find((l) => l.name === br)).toMatchObject({ kind: 'bridge', up: true });
        expect(s.netlink.addressesOf(s.host, br).map(String)).toEqual(made.netlink.addressesOf(made.host, br).map(String));
      }
      expect(table(s.firewall, s.host)).toBe(table(made.firewall, made.host));
    });

    it('restores the others when one fails, and then throws', async () => {
      const s = setup();
      const clash = req(s.driver, { networkId: NET_C, name: 'c', raw: { 'com.docker.network.bridge.name': 'br-aaaaaaaaaaaa' }, ipv4: [v4('172.20.0.0/16', '172.20.0.1')] });
      await expect(s.driver.restoreNetworks([req(s.driver), clash, req(s.driver, { networkId: NET_B, name: 'b', ipv4: [v4('172.19.0.0/16', '172.19.0.1')] })])).rejects.toMatchObject({
        message: expect.stringContaining('bridge name br-aaaaaaaaaaaa is already used by network a'),
      });
      expect(names(s.netlink, s.host)).toEqual(['br-aaaaaaaaaaaa', 'br-bbbbbbbbbbbb', 'lo']);
      expect(table(s.firewall, s.host)).toContain('"br-bbbbbbbbbbbb"');
      await expect(s.driver.deleteNetwork(NET_C)).rejects.toMatchObject({ kind: 'not-found' });
    });
  });

  describe('createNetwork', () => {
    it('brings up br-<12 hex> with the gateway address, forwarding and the firewall', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      const br = s.netlink.linksIn(s.host).find((l) => l.name === 'br-aaaaaaaaaaaa');
      expect(br).toMatchObject({ kind: 'bridge', up: true, mtu: 1500 });
      expect(s.netlink.addressesOf(s.host, 'br-aaaaaaaaaaaa').map(String)).toEqual(['172.18.0.1/16']);
      expect(await s.sysctl.get(s.host, 'net.ipv4.ip_forward')).toBe('1');
      expect(await s.sysctl.get(s.host, 'net.ipv4.conf.br-aaaaaaaaaaaa.route_localnet')).toBe('1');
      expect(table(s.firewall, s.host)).toMatch(/set masq4_16 \{\n\t\ttype ipv4_addr\n\t\telements = \{ 172\.18\.0\.0 \}/);
      expect(table(s.firewall, s.host)).toContain('elements = { 172.18.0.0 . "br-aaaaaaaaaaaa" }');
    });

    it('uses netd0 for the default bridge and the MTU option', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver, { raw: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.driver.mtu': '1400' } }));
      expect(s.netlink.linksIn(s.host).find((l) => l.name === 'netd0')).toMatchObject({ kind: 'bridge', mtu: 1400 });
    });

    it('converges when run again (daemon restart)', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await s.driver.createNetwork(req(s.driver));
      expect(names(s.netlink, s.host)).toEqual(['br-aaaaaaaaaaaa', 'lo']);
      expect(s.netlink.addressesOf(s.host, 'br-aaaaaaaaaaaa')).toHaveLength(1);
    });

    it('adds the IPv6 gateway and turns on v6 forwarding', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver, { enableIpv6: true, ipv6: [{ subnet: Prefix.parse('fd00:1::/64'), gateway: IpAddr.parse('fd00:1::1') }] }));
      expect(s.netlink.addressesOf(s.host, 'br-aaaaaaaaaaaa').map(String)).toEqual(['172.18.0.1/16', 'fd00:1::1/64']);
      expect(await s.sysctl.get(s.host, 'net.ipv6.conf.all.forwarding')).toBe('1');
    });

    it('refuses a bridge name another network uses, before creating anything', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver, { raw: { 'com.docker.network.bridge.name': 'mybr' } }));
      const before = names(s.netlink, s.host);
      const events = s.firewall.events.length;
      await expect(s.driver.createNetwork(req(s.driver, { networkId: NET_B, name: 'b', raw: { 'com.docker.network.bridge.name': 'mybr' } })))
        .rejects.toMatchObject({ kind: 'conflict', message: 'bridge name mybr is already used by network a' });
      expect(names(s.netlink, s.host)).toEqual(before);
      expect(s.firewall.events).toHaveLength(events);
    });

    it('refuses an existing link that is not a bridge', async () => {
      const s = setup();
      await s.netlink.createLink(s.host, { kind: 'dummy', name: 'dum0' });
      await expect(s.driver.createNetwork(req(s.driver, { raw: { 'com.docker.network.bridge.name': 'dum0' } })))
        .rejects.toMatchObject({ kind: 'conflict', message: 'cannot use dum0 as a bridge: a dummy link with that name exists' });
      expect(names(s.netlink, s.host)).toEqual(['dum0', 'lo']);
      expect(s.firewall.tablesIn(s.host)).toEqual([]);
    });

    it('bad options fail in parseOptions and nothing is created', () => {
      const s = setup();
      expect(() => s.driver.parseOptions({ 'com.docker.network.driver.mtu': '10' })).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
      expect(names(s.netlink, s.host)).toEqual(['lo']);
      expect(s.firewall.events).toEqual([]);
    });

    it('removes the bridge it made when a later step fails', async () => {
      const s = setup();
      s.firewall.apply = async () => {
        throw new SystemError('nft exploded');
      };
      await expect(s.driver.createNetwork(req(s.driver))).rejects.toThrow('nft exploded');
      expect(names(s.netlink, s.host)).toEqual(['lo']);
      await expect(s.driver.createEndpoint({ networkId: NET_A, endpointId: EP_1, addresses: [] })).rejects.toMatchObject({ kind: 'not-found' });
    });
  });

  describe('join', () => {
    it('plugs a veth into the bridge and sets up the container side', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      const res = await joined(s);
      expect(res).toEqual({ ifname: 'eth0', gateway: IpAddr.parse('172.18.0.1'), gatewayV6: undefined });
      expect(s.netlink.linksIn(s.host).find((l) => l.name === 'veth1111111')).toMatchObject({ kind: 'veth', up: true, master: 'br-aaaaaaaaaaaa' });
      const eth0 = s.netlink.linksIn(s.c1).find((l) => l.name === 'eth0');
      expect(eth0).toMatchObject({ kind: 'veth', up: true, mtu: 1500 });
      expect(eth0?.mac?.toString()).toBe('02:42:ac:12:00:02');
      expect(s.netlink.linksIn(s.c1).find((l) => l.name === 'lo')?.up).toBe(true);
      expect(s.netlink.addressesOf(s.c1, 'eth0').map(String)).toEqual(['172.18.0.2/16']);
      expect(s.netlink.routesIn(s.c1).map((r) => `${r.dst} ${r.gateway ?? ''}`)).toContain('0.0.0.0/0 172.18.0.1');
    });

    it('adds no default route when defaultRoute is false', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await joined(s, EP_1, '172.18.0.2/16', s.c1, { defaultRoute: false });
      expect(s.netlink.routesIn(s.c1).some((r) => r.dst.length === 0)).toBe(false);
    });

    it('is idempotent', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await joined(s);
      await s.driver.join({ networkId: NET_A, endpointId: EP_1, sandbox: s.c1, ifname: 'eth0', defaultRoute: true });
      expect(names(s.netlink, s.c1)).toEqual(['eth0', 'lo']);
      expect(s.netlink.addressesOf(s.c1, 'eth0')).toHaveLength(1);
    });

    it('refuses an ifname the sandbox already uses, creating nothing', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await s.netlink.createLink(s.c1, { kind: 'veth', name: 'eth0', peer: { name: 'other' } });
      await expect(joined(s)).rejects.toMatchObject({ kind: 'conflict', message: 'interface eth0 already exists in the sandbox' });
      expect(names(s.netlink, s.host)).toEqual(['br-aaaaaaaaaaaa', 'lo']);
    });

    it('converges when the sandbox was recreated behind its back', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await joined(s);
      // The old container side is gone; a host-side leftover with the same name remains.
      await s.netlink.moveLink(s.host, 'veth1111111', s.c2);
      await s.netlink.deleteLink(s.c2, 'veth1111111');
      await s.netlink.createLink(s.host, { kind: 'veth', name: 'veth1111111', peer: { name: 'stale' } });
      await s.driver.join({ networkId: NET_A, endpointId: EP_1, sandbox: s.c1, ifname: 'eth0', defaultRoute: true });
      expect(s.netlink.linksIn(s.host).find((l) => l.name === 'veth1111111')?.peer).toEqual({ ns: s.c1.path, name: 'eth0' });
      expect(names(s.netlink, s.host)).toEqual(['br-aaaaaaaaaaaa', 'lo', 'veth1111111']);
    });

    it('removes the veth it made when a later step fails', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await s.driver.createEndpoint({ networkId: NET_A, endpointId: EP_1, addresses: [Prefix.parse('172.18.0.2/16')] });
      // A route conflict in the sandbox: a default route through another gateway.
      await s.netlink.createLink(s.c1, { kind: 'dummy', name: 'dum0' });
      await s.netlink.setLinkUp(s.c1, 'dum0');
      await s.netlink.addAddress(s.c1, 'dum0', Prefix.parse('10.9.0.2/24'));
      await s.netlink.addRoute(s.c1, { dst: Prefix.parse('0.0.0.0/0'), gateway: IpAddr.parse('10.9.0.1') });
      await expect(s.driver.join({ networkId: NET_A, endpointId: EP_1, sandbox: s.c1, ifname: 'eth0', defaultRoute: true }))
        .rejects.toMatchObject({ kind: 'conflict' });
      expect(names(s.netlink, s.host)).toEqual(['br-aaaaaaaaaaaa', 'lo']);
      expect(names(s.netlink, s.c1)).toEqual(['dum0', 'lo']);
    });

    it('publishes ports through DNAT and refuses a port already taken', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await joined(s, EP_1, '172.18.0.2/16', s.c1, { portMappings: [{ proto: 'tcp', hostPort: 8080, containerPort: 80 }] });
      expect(table(s.firewall, s.host)).toContain('meta nfproto ipv4 tcp dport 8080 dnat ip to 172.18.0.2:80');
      await expect(joined(s, EP_2, '172.18.0.3/16', s.c2, { portMappings: [{ proto: 'tcp', hostPort: 8080, containerPort: 80 }] }))
        .rejects.toMatchObject({ kind: 'conflict', message: 'Bind for 0.0.0.0:8080 failed: port is already allocated' });
      expect(names(s.netlink, s.c2)).toEqual(['lo']);
    });

    it('drops traffic between ports of an icc=false network at their ingress', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver, { raw: { 'com.docker.network.bridge.enable_icc': 'false' } }));
      await joined(s);
      await joined(s, EP_2, '172.18.0.3/16', s.c2);
      expect(table(s.firewall, s.host)).toContain('devices = { "veth1111111", "veth2222222" }');
      await s.driver.leave(NET_A, EP_2);
      expect(table(s.firewall, s.host)).toContain('devices = { "veth1111111" }');
    });

    it('names the container side with the network prefix', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver, { raw: { 'com.docker.network.container_iface_prefix': 'en' } }));
      await joined(s);
      expect(names(s.netlink, s.c1)).toEqual(['en0', 'lo']);
    });
  });

  describe('leave and teardown', () => {
    it('leave removes the veth and the port mappings', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await joined(s, EP_1, '172.18.0.2/16', s.c1, { portMappings: [{ proto: 'tcp', hostPort: 8080, containerPort: 80 }] });
      await s.driver.leave(NET_A, EP_1);
      expect(names(s.netlink, s.host)).toEqual(['br-aaaaaaaaaaaa', 'lo']);
      expect(names(s.netlink, s.c1)).toEqual(['lo']);
      expect(table(s.firewall, s.host)).not.toContain('dnat ip to');
    });

    it('deleteNetwork removes the bridge, its veths and its rules', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await joined(s);
      await s.driver.deleteNetwork(NET_A);
      expect(names(s.netlink, s.host)).toEqual(['lo']);
      expect(names(s.netlink, s.c1)).toEqual(['lo']);
      expect(table(s.firewall, s.host)).not.toContain('br-aaaaaaaaaaaa');
    });

    it('keeps going after an error and reports it', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      s.firewall.apply = s.firewall.update = async () => {
        throw new SystemError('nft gone');
      };
      await expect(s.driver.deleteNetwork(NET_A)).rejects.toThrow('nft gone');
      expect(names(s.netlink, s.host)).toEqual(['lo']);
    });

    it('leaves a pre-existing bridge in place and only removes its address', async () => {
      const s = setup();
      await s.netlink.createLink(s.host, { kind: 'bridge', name: 'userbr' });
      await s.driver.createNetwork(req(s.driver, { raw: { 'com.docker.network.bridge.name': 'userbr' } }));
      await s.driver.deleteNetwork(NET_A);
      expect(names(s.netlink, s.host)).toEqual(['lo', 'userbr']);
      expect(s.netlink.addressesOf(s.host, 'userbr')).toEqual([]);
    });
  });

  describe('isolation', () => {
    it('drops forwarding between two bridge networks and keeps internal ones off the host', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await s.driver.createNetwork(req(s.driver, { networkId: NET_B, name: 'b', internal: true, ipv4: [v4('172.19.0.0/16', '172.19.0.1')] }));
      const t = table(s.firewall, s.host);
      expect(t).toContain('elements = { "br-aaaaaaaaaaaa", "br-bbbbbbbbbbbb" }'); // set bridges
      expect(t).toMatch(/set internal \{\n\t\ttype ifname\n\t\telements = \{ "br-bbbbbbbbbbbb" \}/);
      expect(t).not.toContain('172.19.0.0/16');
    });
  });

  describe('firewall updates', () => {
    const id = (i: number) => i.toString(16).padStart(12, '0') + '0'.repeat(52);
    const net = (s: ReturnType<typeof setup>, i: number) =>
      req(s.driver, { networkId: id(i), name: `n${i}`, ipv4: [v4(`10.${i >> 8}.${i & 255}.0/24`, `10.${i >> 8}.${i & 255}.1`)] });

    it('changes the table by deltas after the first network, with ops that do not grow with the network count', async () => {
      const s = setup();
      await s.driver.createNetwork(net(s, 1));
      const opsOfCreate = async (i: number) => {
        const before = s.firewall.events.length;
        await s.driver.createNetwork(net(s, i));
        const evs = s.firewall.events.slice(before);
        expect(evs.map((e) => e.op)).toEqual(['update']);
        return evs[0].op === 'update' ? evs[0].ops : [];
      };
      const second = await opsOfCreate(2);
      for (let i = 3; i < 300; i++) await s.driver.createNetwork(net(s, i));
      const last = await opsOfCreate(300);
      const shape = (ops: typeof last) => ops.map((o) => `${o.op} ${'set' in o ? o.set : ''} ${'elements' in o ? o.elements.length : ''}`);
      expect(shape(last)).toEqual(shape(second));
      expect(shape(last)).toHaveLength(4);
      expect(s.firewall.events.filter((e) => e.op === 'apply')).toHaveLength(1);
      expect(table(s.firewall, s.host)).toContain('"br-00000000012c" . "br-00000000012c"');
    });

    it('removes exactly what a network added: create then delete gives back the same table', async () => {
      const s = setup();
      await s.driver.createNetwork(net(s, 1));
      const before = table(s.firewall, s.host);
      await s.driver.createNetwork(net(s, 2));
      await s.driver.deleteNetwork(id(2));
      expect(table(s.firewall, s.host)).toBe(before);
    });

    it('forgets a network whose firewall update failed, so the next delta starts from the table', async () => {
      const s = setup();
      await s.driver.createNetwork(net(s, 1));
      const update = s.firewall.update.bind(s.firewall);
      s.firewall.update = async () => {
        throw new SystemError('nft exploded');
      };
      await expect(s.driver.createNetwork(net(s, 2))).rejects.toThrow('nft exploded');
      s.firewall.update = update;
      await s.driver.createNetwork(net(s, 3));
      const last = s.firewall.events.at(-1);
      expect(last?.op === 'update' && last.ops.flatMap((o) => ('elements' in o ? o.elements : []))).toEqual([
        '"br-000000000003"',
        '"br-000000000003" . "br-000000000003"',
        '10.0.3.0',
        '10.0.3.0 . "br-000000000003"',
      ]);
      expect(table(s.firewall, s.host)).not.toContain('br-000000000002');
    });

    it('reconcile replaces the whole table', async () => {
      const s = setup();
      await s.driver.createNetwork(net(s, 1));
      await s.driver.createNetwork(net(s, 2));
      await s.driver.reconcile({ networkIds: [id(1), id(2)], endpointIds: [] });
      expect(s.firewall.events.at(-1)?.op).toBe('apply');
    });
  });

  describe('reconcile', () => {
    it('removes only netd-marked br-/veth links of unknown networks and endpoints', async () => {
      const s = setup();
      await s.driver.createNetwork(req(s.driver));
      await s.driver.createNetwork(req(s.driver, { networkId: NET_B, name: 'b', ipv4: [v4('172.19.0.0/16', '172.19.0.1')] }));
      await joined(s);
      // dockerd's look-alikes (no netd MAC prefix) must survive.
      await s.netlink.createLink(s.host, { kind: 'bridge', name: 'br-cccccccccccc' });
      await s.netlink.createLink(s.host, { kind: 'veth', name: 'veth3333333', peer: { name: 'vp3' } });
      const { removed } = await s.driver.reconcile({ networkIds: [NET_B], endpointIds: [] });
      expect(removed.sort()).toEqual(['br-aaaaaaaaaaaa', 'veth1111111']);
      expect(names(s.netlink, s.host)).toEqual(['br-bbbbbbbbbbbb', 'br-cccccccccccc', 'lo', 'veth3333333', 'vp3']);
      expect(table(s.firewall, s.host)).not.toContain('br-aaaaaaaaaaaa');
    });
  });
});
