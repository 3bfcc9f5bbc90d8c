import { Prefix } from '@app/common';
import { FakeNetlink } from './fake-netlink';
import { FakeNetns } from './fake-netns';
import { describeNetlinkContract } from './netlink.contract';

describeNetlinkContract('FakeNetlink', async () => {
  const netlink = new FakeNetlink();
  let n = 0;
  return {
    netlink,
    newNamespace: async () => netlink.addNamespace(`/run/netns/fake-${n++}`),
    dispose: async () => undefined,
  };
});

describe(FakeNetlink.name, () => {
  let fake: FakeNetlink;
  let netns: FakeNetns;
  beforeEach(() => {
    fake = new FakeNetlink();
    netns = new FakeNetns(fake);
  });

  describe('with FakeNetns', () => {
    it('removes the links of a deleted namespace and their veth peers elsewhere', async () => {
      const host = await netns.create('host');
      const c1 = await netns.create('c1');
      await fake.createLink(host, { kind: 'bridge', name: 'br0' });
      await fake.createLink(host, { kind: 'veth', name: 'vh1', peer: { name: 'eth0', ns: c1 } });
      await fake.setLinkMaster(host, 'vh1', 'br0');
      await netns.delete('c1');
      expect(fake.linksIn(host).map((l) => l.name)).toEqual(['lo', 'br0']);
      expect(fake.hasNamespace(c1)).toBe(false);
      await expect(fake.listLinks(c1)).rejects.toMatchObject({ kind: 'not-found' });
    });
  });

  describe('linksIn', () => {
    it('reports the veth peer with its namespace and name', async () => {
      const host = fake.addNamespace('/h');
      const c = fake.addNamespace('/c');
      await fake.createLink(host, { kind: 'veth', name: 'vh', peer: { name: 'eth0', ns: c } });
      expect(fake.linksIn(host).find((l) => l.name === 'vh')?.peer).toEqual({ ns: '/c', name: 'eth0' });
      expect(fake.linksIn(c).find((l) => l.name === 'eth0')?.peer).toEqual({ ns: '/h', name: 'vh' });
    });

    it('follows the peer when it moves and is renamed', async () => {
      const host = fake.addNamespace('/h');
      const c = fake.addNamespace('/c');
      await fake.createLink(host, { kind: 'veth', name: 'vh', peer: { name: 'vtmp' } });
      await fake.moveLink(host, 'vtmp', c, 'eth0');
      expect(fake.linksIn(host).find((l) => l.name === 'vh')?.peer).toEqual({ ns: '/c', name: 'eth0' });
    });

    it('reports hairpin and vxlan settings', async () => {
      const host = fake.addNamespace('/h');
      await fake.createLink(host, { kind: 'bridge', name: 'br0' });
      await fake.createLink(host, { kind: 'vxlan', name: 'vx0', vni: 42 });
      await fake.setLinkMaster(host, 'vx0', 'br0');
      await fake.setBridgePortHairpin(host, 'vx0', true);
      expect(fake.linksIn(host).find((l) => l.name === 'vx0')).toMatchObject({
        hairpin: true,
        master: 'br0',
        vxlan: { vni: 42, port: 4789, learning: false },
      });
    });
  });

  describe('setLinkMaster', () => {
    it('makes a bridge follow the smallest port MTU until its own MTU is set', async () => {
      const host = fake.addNamespace('/h');
      await fake.createLink(host, { kind: 'bridge', name: 'br0' });
      await fake.createLink(host, { kind: 'dummy', name: 'p0', mtu: 1400 });
      await fake.setLinkMaster(host, 'p0', 'br0');
      expect(fake.linksIn(host).find((l) => l.name === 'br0')?.mtu).toBe(1400);
    });
  });

  describe('deleteAddress', () => {
    it('drops an IPv4 route whose gateway is no longer reachable', async () => {
      const host = fake.addNamespace('/h');
      await fake.createLink(host, { kind: 'dummy', name: 'd0' });
      await fake.addAddress(host, 'd0', Prefix.parse('10.0.0.2/24'));
      await fake.setLinkUp(host, 'd0');
      await fake.addRoute(host, { dst: Prefix.parse('0.0.0.0/0'), gateway: Prefix.parse('10.0.0.1/32').address });
      await fake.deleteAddress(host, 'd0', Prefix.parse('10.0.0.2/24'));
      expect(fake.routesIn(host)).toEqual([]);
    });
  });

  describe('renameLink', () => {
    it('refuses to rename a link that is up, as the kernel does (EBUSY)', async () => {
      const host = fake.addNamespace('/h');
      await fake.createLink(host, { kind: 'dummy', name: 'd0' });
      await fake.setLinkUp(host, 'd0');
      await expect(fake.renameLink(host, 'd0', 'd1')).rejects.toMatchObject({ kind: 'conflict' });
    });
  });
});
