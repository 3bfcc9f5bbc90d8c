import { IpAddr, MacAddr, Prefix } from '@app/common';
import type { LinkInfo, Netlink, NetnsRef, RouteSpec } from '../netlink.port';

/** What a contract run needs: the implementation and fresh namespaces (only `lo`, down). */
export interface NetlinkContractFixture {
  readonly netlink: Netlink;
  newNamespace(): Promise<NetnsRef>;
  /** Remove every namespace made by newNamespace (called after each test, even on failure). */
  dispose(): Promise<void>;
}

const mac = MacAddr.parse;
const pfx = Prefix.parse;
const ip = IpAddr.parse;
const strings = (xs: readonly { toString(): string }[]) => xs.map(String).sort();
const routeKey = (r: RouteSpec) => `${r.dst} via ${r.gateway ?? '-'} dev ${r.dev ?? '-'}`;
const notLinkLocal = (p: Prefix) => !(p.family === 6 && pfx('fe80::/10').contains(p.address));

/**
 * The Netlink contract, written once: run against FakeNetlink in unit tests and against
 * RtNetlink as root inside fresh namespaces. One verb per test; errors asserted by kind.
 */
export function describeNetlinkContract(name: string, setup: () => Promise<NetlinkContractFixture>): void {
  describe(`Netlink contract: ${name}`, () => {
    let fx: NetlinkContractFixture;
    let nl: Netlink;
    let ns: NetnsRef;

    beforeEach(async () => {
      fx = await setup();
      nl = fx.netlink;
      ns = await fx.newNamespace();
    });
    afterEach(async () => {
      await fx?.dispose();
    });

    const link = async (n: string, where = ns): Promise<LinkInfo> => {
      const l = await nl.getLink(where, n);
      if (!l) throw new Error(`expected link ${n} in ${where.path}`);
      return l;
    };
    /** A plain device for tests that need one: a veth (the test kernel lacks dummy), peer `<name>p`. */
    const dev = (n: string) => ({ kind: 'veth' as const, name: n, peer: { name: `${n}p` } });
    const upWithAddress = async (name: string, addr: string) => {
      await nl.createLink(ns, dev(name));
      await nl.addAddress(ns, name, pfx(addr));
      await nl.setLinkUp(ns, name);
    };

    describe('createLink', () => {
      it('creates a bridge, down, with the MTU and MAC asked for', async () => {
        await nl.createLink(ns, { kind: 'bridge', name: 'br-t0', mtu: 1400, mac: mac('02:00:00:00:00:01') });
        expect(await link('br-t0')).toMatchObject({ name: 'br-t0', kind: 'bridge', up: false, mtu: 1400, mac: mac('02:00:00:00:00:01') });
      });

      it('creates a veth pair with the default MTU', async () => {
        await nl.createLink(ns, { kind: 'veth', name: 'd0', peer: { name: 'd0p' } });
        expect(await link('d0')).toMatchObject({ kind: 'veth', mtu: 1500, up: false });
      });

      it('creates a veth pair in one namespace', async () => {
        await nl.createLink(ns, { kind: 'veth', name: 'va', peer: { name: 'vb' } });
        expect((await link('va')).kind).toBe('veth');
        expect((await link('vb')).kind).toBe('veth');
      });

      it('creates the veth peer directly inside another namespace', async () => {
        const other = await fx.newNamespace();
        await nl.createLink(ns, { kind: 'veth', name: 'vh', peer: { name: 'eth0', ns: other, mac: mac('02:42:0a:00:00:02') } });
        expect(await nl.getLink(ns, 'eth0')).toBeUndefined();
        expect(await link('eth0', other)).toMatchObject({ kind: 'veth', mac: mac('02:42:0a:00:00:02') });
        expect(await link('vh')).toMatchObject({ kind: 'veth' });
      });

      it('creates a vxlan link', async () => {
        await nl.createLink(ns, { kind: 'vxlan', name: 'vx0', vni: 4242, port: 4789, learning: false, local: ip('10.9.0.1') });
        expect(await link('vx0')).toMatchObject({ kind: 'vxlan', up: false, vxlan: { proxy: false } });
      });

      it('creates a vxlan link with ARP suppression (proxy) and reports it; other kinds report no vxlan settings', async () => {
        await nl.createLink(ns, { kind: 'vxlan', name: 'vx0', vni: 4244, learning: false, proxy: true });
        await nl.createLink(ns, { kind: 'bridge', name: 'br-t0' });
        expect(await link('vx0')).toMatchObject({ kind: 'vxlan', vxlan: { proxy: true } });
        expect((await nl.listLinks(ns)).find((l) => l.name === 'vx0')?.vxlan).toEqual({ proxy: true });
        expect((await link('br-t0')).vxlan).toBeUndefined();
      });

      it('rejects a second vxlan with the same VNI as a conflict', async () => {
        await nl.createLink(ns, { kind: 'vxlan', name: 'vx0', vni: 4243 });
        await expect(nl.createLink(ns, { kind: 'vxlan', name: 'vx1', vni: 4243 })).rejects.toMatchObject({ kind: 'conflict' });
        expect(await nl.getLink(ns, 'vx1')).toBeUndefined();
      });

      it('rejects a duplicate name as a conflict', async () => {
        await nl.createLink(ns, dev('dup0'));
        await expect(nl.createLink(ns, { kind: 'bridge', name: 'dup0' })).rejects.toMatchObject({ kind: 'conflict' });
        expect((await link('dup0')).kind).toBe('veth');
      });

      it('rejects a veth whose peer name is taken in the peer namespace, leaving nothing behind', async () => {
        const other = await fx.newNamespace();
        await nl.createLink(other, dev('eth0'));
        await expect(nl.createLink(ns, { kind: 'veth', name: 'vh1', peer: { name: 'eth0', ns: other } })).rejects.toMatchObject({
          kind: 'conflict',
        });
        expect(await nl.getLink(ns, 'vh1')).toBeUndefined();
      });

      it.each(['a-name-of-16-chr', '', 'has/slash', 'has space'])('rejects the interface name "%s"', async (bad) => {
        await expect(nl.createLink(ns, { kind: 'bridge', name: bad })).rejects.toMatchObject({ kind: 'invalid-parameter' });
        expect(strings((await nl.listLinks(ns)).map((l) => l.name))).toEqual(['lo']);
      });

      it('accepts a 15-character name', async () => {
        await nl.createLink(ns, { kind: 'bridge', name: 'a-name-of-15-ch' });
        expect(await link('a-name-of-15-ch')).toBeDefined();
      });

      it('fails with not-found in a namespace that does not exist', async () => {
        const gone = { path: `${ns.path}-does-not-exist` };
        await expect(nl.createLink(gone, dev('d0'))).rejects.toMatchObject({ kind: 'not-found' });
      });
    });

    describe('listLinks', () => {
      it('lists lo, down, in a fresh namespace', async () => {
        const links = await nl.listLinks(ns);
        expect(links).toHaveLength(1);
        expect(links[0]).toMatchObject({ name: 'lo', up: false, index: 1 });
      });
    });

    describe('deleteLink', () => {
      it('deletes a link', async () => {
        await nl.createLink(ns, dev('d0'));
        await nl.deleteLink(ns, 'd0');
        expect(await nl.getLink(ns, 'd0')).toBeUndefined();
      });

      it('takes the veth peer in the other namespace with it', async () => {
        const other = await fx.newNamespace();
        await nl.createLink(ns, { kind: 'veth', name: 'vh', peer: { name: 'eth0', ns: other } });
        await nl.deleteLink(ns, 'vh');
        expect(await nl.getLink(other, 'eth0')).toBeUndefined();
      });

      it('detaches the ports of a deleted bridge', async () => {
        await nl.createLink(ns, { kind: 'bridge', name: 'br0' });
        await nl.createLink(ns, dev('p0'));
        await nl.setLinkMaster(ns, 'p0', 'br0');
        await nl.deleteLink(ns, 'br0');
        expect((await link('p0')).master).toBeUndefined();
      });

      it('fails with not-found for a missing link', async () => {
        await expect(nl.deleteLink(ns, 'nope0')).rejects.toMatchObject({ kind: 'not-found' });
      });
    });

    describe('setLinkUp / setLinkDown', () => {
      it('sets the link up', async () => {
        await nl.createLink(ns, dev('d0'));
        await nl.setLinkUp(ns, 'd0');
        expect((await link('d0')).up).toBe(true);
      });

      it('sets the link down', async () => {
        await nl.createLink(ns, dev('d0'));
        await nl.setLinkUp(ns, 'd0');
        await nl.setLinkDown(ns, 'd0');
        expect((await link('d0')).up).toBe(false);
      });

      it('brings lo up with 127.0.0.1/8', async () => {
        await nl.setLinkUp(ns, 'lo');
        expect(strings(await nl.listAddresses(ns, 'lo'))).toContain('127.0.0.1/8');
      });

      it('fails with not-found for a missing link', async () => {
        await expect(nl.setLinkUp(ns, 'nope0')).rejects.toMatchObject({ kind: 'not-found' });
      });
    });

    describe('setLinkMaster', () => {
      beforeEach(async () => {
        await nl.createLink(ns, { kind: 'bridge', name: 'br0' });
        await nl.createLink(ns, { kind: 'veth', name: 'va', peer: { name: 'vb' } });
      });

      it('enslaves a link to a bridge', async () => {
        await nl.setLinkMaster(ns, 'va', 'br0');
        expect((await link('va')).master).toBe('br0');
      });

      it('detaches with undefined', async () => {
        await nl.setLinkMaster(ns, 'va', 'br0');
        await nl.setLinkMaster(ns, 'va', undefined);
        expect((await link('va')).master).toBeUndefined();
      });

      it('fails with not-found for a missing master', async () => {
        await expect(nl.setLinkMaster(ns, 'va', 'nobr0')).rejects.toMatchObject({ kind: 'not-found' });
      });

      it('rejects a master that is not a bridge', async () => {
        await expect(nl.setLinkMaster(ns, 'va', 'vb')).rejects.toMatchObject({ kind: 'invalid-parameter' });
      });
    });

    describe('setLinkMtu / setLinkMac / renameLink', () => {
      beforeEach(async () => {
        await nl.createLink(ns, dev('d0'));
      });

      it('sets the MTU', async () => {
        await nl.setLinkMtu(ns, 'd0', 1280);
        expect((await link('d0')).mtu).toBe(1280);
      });

      it('rejects an MTU below 68', async () => {
        await expect(nl.setLinkMtu(ns, 'd0', 10)).rejects.toMatchObject({ kind: 'invalid-parameter' });
        expect((await link('d0')).mtu).toBe(1500);
      });

      it('sets the MAC', async () => {
        await nl.setLinkMac(ns, 'd0', mac('02:11:22:33:44:55'));
        expect((await link('d0')).mac).toEqual(mac('02:11:22:33:44:55'));
      });

      it('rejects a multicast MAC', async () => {
        await expect(nl.setLinkMac(ns, 'd0', mac('01:00:5e:00:00:01'))).rejects.toMatchObject({ kind: 'invalid-parameter' });
      });

      it('renames a link', async () => {
        await nl.renameLink(ns, 'd0', 'd1');
        expect(await nl.getLink(ns, 'd0')).toBeUndefined();
        expect(await link('d1')).toBeDefined();
      });

      it('rejects a rename onto an existing name as a conflict', async () => {
        await nl.createLink(ns, dev('d1'));
        await expect(nl.renameLink(ns, 'd0', 'd1')).rejects.toMatchObject({ kind: 'conflict' });
      });
    });

    describe('moveLink', () => {
      it('moves a link to another namespace under a new name, without its addresses', async () => {
        const other = await fx.newNamespace();
        await nl.createLink(ns, { kind: 'veth', name: 'vh', peer: { name: 'vc' } });
        await nl.addAddress(ns, 'vc', pfx('10.7.0.2/24'));
        await nl.moveLink(ns, 'vc', other, 'eth0');
        expect(await nl.getLink(ns, 'vc')).toBeUndefined();
        expect(await link('eth0', other)).toMatchObject({ kind: 'veth', up: false });
        expect((await nl.listAddresses(other, 'eth0')).filter(notLinkLocal)).toEqual([]);
      });

      it('rejects a name taken in the target as a conflict, leaving the link where it was', async () => {
        const other = await fx.newNamespace();
        await nl.createLink(other, dev('eth0'));
        await nl.createLink(ns, dev('eth0'));
        await expect(nl.moveLink(ns, 'eth0', other)).rejects.toMatchObject({ kind: 'conflict' });
        expect(await link('eth0')).toBeDefined();
      });

      it('refuses to move a bridge', async () => {
        const other = await fx.newNamespace();
        await nl.createLink(ns, { kind: 'bridge', name: 'br0' });
        await expect(nl.moveLink(ns, 'br0', other)).rejects.toMatchObject({ kind: 'invalid-parameter' });
      });
    });

    describe('setBridgePortHairpin', () => {
      it('sets hairpin on a bridge port', async () => {
        await nl.createLink(ns, { kind: 'bridge', name: 'br0' });
        await nl.createLink(ns, dev('p0'));
        await nl.setLinkMaster(ns, 'p0', 'br0');
        await expect(nl.setBridgePortHairpin(ns, 'p0', true)).resolves.toBeUndefined();
      });

      it('rejects a link that is not a bridge port', async () => {
        await nl.createLink(ns, dev('p0'));
        await expect(nl.setBridgePortHairpin(ns, 'p0', true)).rejects.toMatchObject({ kind: 'invalid-parameter' });
      });
    });

    describe('addresses', () => {
      beforeEach(async () => {
        await nl.createLink(ns, dev('d0'));
      });

      it('adds IPv4 and IPv6 addresses', async () => {
        await nl.addAddress(ns, 'd0', pfx('10.1.2.3/24'));
        await nl.addAddress(ns, 'd0', pfx('fd00:1::3/64'));
        expect(strings((await nl.listAddresses(ns, 'd0')).filter(notLinkLocal))).toEqual(['10.1.2.3/24', 'fd00:1::3/64']);
      });

      it('lists every address of the namespace by link index in one call', async () => {
        await nl.addAddress(ns, 'd0', pfx('10.1.2.3/24'));
        await nl.createLink(ns, { kind: 'bridge', name: 'br-t1' });
        await nl.addAddress(ns, 'br-t1', pfx('10.1.3.1/24'));
        await nl.addAddress(ns, 'br-t1', pfx('fd00:3::1/64'));
        const all = await nl.listAllAddresses(ns);
        for (const name of ['d0', 'br-t1', 'lo']) {
          const l = await link(name);
          expect(strings((all.get(l.index) ?? []).filter(notLinkLocal))).toEqual(strings((await nl.listAddresses(ns, name)).filter(notLinkLocal)));
        }
        expect(strings((all.get((await link('br-t1')).index) ?? []).filter(notLinkLocal))).toEqual(['10.1.3.1/24', 'fd00:3::1/64']);
      });

      it('rejects a duplicate address as a conflict', async () => {
        await nl.addAddress(ns, 'd0', pfx('10.1.2.3/24'));
        await expect(nl.addAddress(ns, 'd0', pfx('10.1.2.3/24'))).rejects.toMatchObject({ kind: 'conflict' });
      });

      it('fails with not-found on a missing link', async () => {
        await expect(nl.addAddress(ns, 'nope0', pfx('10.1.2.3/24'))).rejects.toMatchObject({ kind: 'not-found' });
      });

      it('deletes an address', async () => {
        await nl.addAddress(ns, 'd0', pfx('10.1.2.3/24'));
        await nl.deleteAddress(ns, 'd0', pfx('10.1.2.3/24'));
        expect((await nl.listAddresses(ns, 'd0')).filter(notLinkLocal)).toEqual([]);
      });

      it('fails with not-found when deleting an absent address', async () => {
        await expect(nl.deleteAddress(ns, 'd0', pfx('10.1.2.9/24'))).rejects.toMatchObject({ kind: 'not-found' });
      });
    });

    describe('routes', () => {
      it('adds the prefix route of an address when the link is up', async () => {
        await upWithAddress('d0', '10.2.0.1/24');
        expect((await nl.listRoutes(ns)).map(routeKey)).toContain('10.2.0.0/24 via - dev d0');
      });

      it('adds a default route via a reachable gateway', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await nl.addRoute(ns, { dst: pfx('0.0.0.0/0'), gateway: ip('10.2.0.1') });
        expect((await nl.listRoutes(ns)).map(routeKey)).toContain('0.0.0.0/0 via 10.2.0.1 dev d0');
      });

      it('adds a device route', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' });
        expect((await nl.listRoutes(ns)).map(routeKey)).toContain('10.3.0.0/16 via - dev d0');
      });

      it('adds an IPv6 route via a gateway', async () => {
        await upWithAddress('d0', 'fd00:2::2/64');
        await nl.addRoute(ns, { dst: pfx('::/0'), gateway: ip('fd00:2::1'), dev: 'd0' });
        expect((await nl.listRoutes(ns)).map(routeKey)).toContain('::/0 via fd00:2::1 dev d0');
      });

      it('rejects a gateway no connected route reaches', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await expect(nl.addRoute(ns, { dst: pfx('0.0.0.0/0'), gateway: ip('10.99.0.1') })).rejects.toMatchObject({
          kind: 'invalid-parameter',
        });
      });

      it('rejects an IPv4 device route on a down link', async () => {
        await nl.createLink(ns, dev('d0'));
        await expect(nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' })).rejects.toMatchObject({ kind: 'invalid-parameter' });
      });

      it('rejects a duplicate route as a conflict', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' });
        await expect(nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' })).rejects.toMatchObject({ kind: 'conflict' });
      });

      it('fails with not-found for a missing device', async () => {
        await expect(nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'nope0' })).rejects.toMatchObject({ kind: 'not-found' });
      });

      it('deletes a route', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await nl.addRoute(ns, { dst: pfx('0.0.0.0/0'), gateway: ip('10.2.0.1') });
        await nl.deleteRoute(ns, { dst: pfx('0.0.0.0/0'), gateway: ip('10.2.0.1') });
        expect((await nl.listRoutes(ns)).map(routeKey)).not.toContain('0.0.0.0/0 via 10.2.0.1 dev d0');
      });

      it('fails with not-found when deleting an absent route', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await expect(nl.deleteRoute(ns, { dst: pfx('10.44.0.0/16'), dev: 'd0' })).rejects.toMatchObject({ kind: 'not-found' });
      });

      it('lists the destinations of the main table, as listRoutes does, default routes included', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await nl.addAddress(ns, 'd0', pfx('fd00:2::2/64'));
        await nl.addRoute(ns, { dst: pfx('0.0.0.0/0'), gateway: ip('10.2.0.1') });
        await nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' });
        const dsts = strings(await nl.listRouteDestinations(ns));
        expect(dsts).toEqual(strings((await nl.listRoutes(ns)).map((r) => r.dst)));
        expect(dsts).toEqual(expect.arrayContaining(['0.0.0.0/0', '10.2.0.0/24', '10.3.0.0/16', 'fd00:2::/64']));
      });

      describe('watchRouteDestinations', () => {
        const record = () => {
          const dsts = new Set<string>();
          const log: string[] = [];
          return {
            dsts,
            log,
            handler: {
              reset: (all: readonly Prefix[]) => {
                dsts.clear();
                all.forEach((d) => dsts.add(String(d)));
                log.push('reset');
              },
              add: (d: Prefix) => void (dsts.add(String(d)), log.push(`+${d}`)),
              remove: (d: Prefix) => void (dsts.delete(String(d)), log.push(`-${d}`)),
            },
          };
        };

        it('starts with every destination, then follows adds and removals by sync', async () => {
          await upWithAddress('d0', '10.2.0.2/24');
          const r = record();
          const w = await nl.watchRouteDestinations(ns, r.handler);
          try {
            expect([...r.dsts]).toEqual(['10.2.0.0/24']);
            await nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' });
            await nl.addRoute(ns, { dst: pfx('0.0.0.0/0'), gateway: ip('10.2.0.1') });
            await w.sync();
            expect(strings([...r.dsts])).toEqual(['0.0.0.0/0', '10.2.0.0/24', '10.3.0.0/16']);
            await nl.deleteRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' });
            await w.sync();
            expect(strings([...r.dsts])).toEqual(['0.0.0.0/0', '10.2.0.0/24']);
            expect(r.log).toEqual(['reset', '+10.3.0.0/16', '+0.0.0.0/0', '-10.3.0.0/16']);
          } finally {
            w.close();
          }
        });

        it('drops the IPv4 routes of a link that goes down or away (the kernel announces no removal)', async () => {
          await upWithAddress('d0', '10.2.0.2/24');
          await upWithAddress('d1', '10.4.0.2/24');
          await nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' });
          const r = record();
          const w = await nl.watchRouteDestinations(ns, r.handler);
          try {
            expect(strings([...r.dsts])).toEqual(['10.2.0.0/24', '10.3.0.0/16', '10.4.0.0/24']);
            await nl.setLinkDown(ns, 'd0');
            await w.sync();
            expect(strings([...r.dsts])).toEqual(['10.4.0.0/24']);
            await nl.deleteLink(ns, 'd1');
            await w.sync();
            expect([...r.dsts]).toEqual([]);
            await nl.setLinkUp(ns, 'd0');
            await w.sync();
            expect([...r.dsts]).toEqual(['10.2.0.0/24']);
          } finally {
            w.close();
          }
        });
      });

      it('drops IPv4 routes through a link that goes down', async () => {
        await upWithAddress('d0', '10.2.0.2/24');
        await nl.addRoute(ns, { dst: pfx('10.3.0.0/16'), dev: 'd0' });
        await nl.setLinkDown(ns, 'd0');
        expect((await nl.listRoutes(ns)).filter((r) => r.dst.family === 4)).toEqual([]);
      });
    });

    describe('fdb', () => {
      beforeEach(async () => {
        await nl.createLink(ns, { kind: 'vxlan', name: 'vx0', vni: 4100, learning: false });
      });

      it('adds a static MAC → VTEP entry', async () => {
        await nl.addFdbEntry(ns, { dev: 'vx0', mac: mac('02:42:0a:00:00:05'), dst: ip('192.0.2.5') });
        const entries = await nl.listFdbEntries(ns, 'vx0');
        expect(entries.map((e) => `${e.mac} ${e.dst}`)).toEqual(['02:42:0a:00:00:05 192.0.2.5']);
      });

      it('appends several all-zero flood entries', async () => {
        await nl.addFdbEntry(ns, { dev: 'vx0', mac: mac('00:00:00:00:00:00'), dst: ip('192.0.2.5') });
        await nl.addFdbEntry(ns, { dev: 'vx0', mac: mac('00:00:00:00:00:00'), dst: ip('192.0.2.6') });
        expect(strings((await nl.listFdbEntries(ns, 'vx0')).map((e) => `${e.mac} ${e.dst}`))).toEqual([
          '00:00:00:00:00:00 192.0.2.5',
          '00:00:00:00:00:00 192.0.2.6',
        ]);
      });

      it('rejects a second entry for the same MAC as a conflict', async () => {
        await nl.addFdbEntry(ns, { dev: 'vx0', mac: mac('02:42:0a:00:00:05'), dst: ip('192.0.2.5') });
        await expect(nl.addFdbEntry(ns, { dev: 'vx0', mac: mac('02:42:0a:00:00:05'), dst: ip('192.0.2.6') })).rejects.toMatchObject({
          kind: 'conflict',
        });
      });

      it('deletes an entry', async () => {
        await nl.addFdbEntry(ns, { dev: 'vx0', mac: mac('02:42:0a:00:00:05'), dst: ip('192.0.2.5') });
        await nl.deleteFdbEntry(ns, { dev: 'vx0', mac: mac('02:42:0a:00:00:05'), dst: ip('192.0.2.5') });
        expect(await nl.listFdbEntries(ns, 'vx0')).toEqual([]);
      });

      it('fails with not-found when deleting an absent entry', async () => {
        await expect(nl.deleteFdbEntry(ns, { dev: 'vx0', mac: mac('02:42:0a:00:00:09'), dst: ip('192.0.2.9') })).rejects.toMatchObject({
          kind: 'not-found',
        });
      });

      it('fails with not-found on a missing device', async () => {
        await expect(nl.addFdbEntry(ns, { dev: 'nope0', mac: mac('02:42:0a:00:00:05'), dst: ip('192.0.2.5') })).rejects.toMatchObject({
          kind: 'not-found',
        });
      });
    });

    describe('neighbours', () => {
      const entry = { dev: 'd0', ip: ip('10.5.0.7'), mac: mac('02:42:0a:05:00:07') };
      beforeEach(async () => {
        await nl.createLink(ns, { kind: 'veth', name: 'd0', peer: { name: 'd0p' } });
        await nl.addAddress(ns, 'd0', pfx('10.5.0.1/24'));
        await nl.setLinkUp(ns, 'd0');
      });

      it('adds a permanent neighbour', async () => {
        await nl.addNeighbor(ns, entry);
        expect((await nl.listNeighbors(ns, 'd0')).map((n) => `${n.ip} ${n.mac}`)).toEqual(['10.5.0.7 02:42:0a:05:00:07']);
      });

      it('rejects a duplicate neighbour as a conflict', async () => {
        await nl.addNeighbor(ns, entry);
        await expect(nl.addNeighbor(ns, entry)).rejects.toMatchObject({ kind: 'conflict' });
      });

      it('deletes a neighbour', async () => {
        await nl.addNeighbor(ns, entry);
        await nl.deleteNeighbor(ns, entry);
        expect(await nl.listNeighbors(ns, 'd0')).toEqual([]);
      });

      it('fails with not-found when deleting an absent neighbour', async () => {
        await expect(nl.deleteNeighbor(ns, entry)).rejects.toMatchObject({ kind: 'not-found' });
      });

      it('keeps permanent neighbours on a vxlan device without addresses, added down or up, until it goes down', async () => {
        await nl.createLink(ns, { kind: 'vxlan', name: 'vx0', vni: 4101, learning: false, proxy: true });
        await nl.addNeighbor(ns, { ...entry, dev: 'vx0' });
        await nl.setLinkUp(ns, 'vx0');
        await nl.addNeighbor(ns, { dev: 'vx0', ip: ip('10.5.0.8'), mac: mac('02:42:0a:05:00:08') });
        expect(strings((await nl.listNeighbors(ns, 'vx0')).map((n) => `${n.ip} ${n.mac}`))).toEqual(['10.5.0.7 02:42:0a:05:00:07', '10.5.0.8 02:42:0a:05:00:08']);
        await nl.setLinkDown(ns, 'vx0');
        expect(await nl.listNeighbors(ns, 'vx0')).toEqual([]);
      });
    });
  });
}
