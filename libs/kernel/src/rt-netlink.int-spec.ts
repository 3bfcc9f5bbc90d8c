import { IpAddr, MacAddr } from '@app/common';
import { RtNetlink } from './rt-netlink';
import { bridgeJson, createTempNetns, describeAsRoot, describeNetlinkContract, ipJson, type TempNetns } from './testing';

function fixture() {
  return async () => {
    const netlink = new RtNetlink();
    const made: TempNetns[] = [];
    return {
      netlink,
      newNamespace: async () => {
        const ns = await createTempNetns();
        made.push(ns);
        return ns.ref;
      },
      dispose: async () => {
        netlink.close();
        for (const ns of made) await ns.dispose().catch(() => undefined);
      },
    };
  };
}

describeAsRoot('RtNetlink (root, fresh namespaces)', () => {
  describeNetlinkContract('RtNetlink', fixture());

  describe('checked through the ip/bridge oracle', () => {
    let host: TempNetns;
    let ctr: TempNetns;
    let nl: RtNetlink;
    beforeEach(async () => {
      nl = new RtNetlink();
      host = await createTempNetns();
      ctr = await createTempNetns();
    });
    afterEach(async () => {
      nl.close();
      await host?.dispose();
      await ctr?.dispose();
    });

    it('creates a veth whose peer is born inside the other namespace', async () => {
      await nl.createLink(host.ref, { kind: 'veth', name: 'vh0', peer: { name: 'eth0', ns: ctr.ref, mac: MacAddr.parse('02:42:ac:11:00:02') } });
      const [peer] = await ipJson<Array<{ ifname: string; address: string; link_type: string }>>(ctr.name, ['link', 'show', 'eth0']);
      expect(peer).toMatchObject({ ifname: 'eth0', address: '02:42:ac:11:00:02' });
      const [veth] = await ipJson<Array<{ ifname: string; link_netnsid?: number }>>(host.name, ['link', 'show', 'vh0']);
      expect(veth.link_netnsid).toBeDefined();
    });

    it('creates a vxlan with the VNI, port and learning off', async () => {
      await nl.createLink(host.ref, { kind: 'vxlan', name: 'vx0', vni: 4097, port: 4790, learning: false, local: IpAddr.parse('10.0.0.1') });
      const [link] = await ipJson<Array<{ linkinfo: { info_kind: string; info_data: Record<string, unknown> } }>>(host.name, ['-d', 'link', 'show', 'vx0']);
      expect(link.linkinfo.info_kind).toBe('vxlan');
      expect(link.linkinfo.info_data).toMatchObject({ id: 4097, port: 4790, learning: false, local: '10.0.0.1' });
    });

    it('creates a vxlan with ARP suppression that ip -d shows as proxy, and getLink reads it back', async () => {
      await nl.createLink(host.ref, { kind: 'vxlan', name: 'vx0', vni: 4099, learning: false, proxy: true });
      await nl.createLink(host.ref, { kind: 'vxlan', name: 'vx1', vni: 4100, learning: false });
      const links = await ipJson<Array<{ ifname: string; linkinfo: { info_data: { proxy?: boolean } } }>>(host.name, ['-d', 'link', 'show', 'type', 'vxlan']);
      expect(links.map((l) => [l.ifname, l.linkinfo.info_data.proxy === true]).sort()).toEqual([
        ['vx0', true],
        ['vx1', false],
      ]);
      expect((await nl.getLink(host.ref, 'vx0'))?.vxlan).toEqual({ proxy: true });
      expect((await nl.getLink(host.ref, 'vx1'))?.vxlan).toEqual({ proxy: false });
    });

    it('programs FDB entries that bridge fdb shows', async () => {
      await nl.createLink(host.ref, { kind: 'vxlan', name: 'vx0', vni: 4098, learning: false });
      await nl.addFdbEntry(host.ref, { dev: 'vx0', mac: MacAddr.parse('00:00:00:00:00:00'), dst: IpAddr.parse('192.0.2.1') });
      await nl.addFdbEntry(host.ref, { dev: 'vx0', mac: MacAddr.parse('02:42:0a:00:00:09'), dst: IpAddr.parse('192.0.2.2') });
      const fdb = await bridgeJson<Array<{ mac: string; dst?: string; state: string; flags: string[] }>>(host.name, ['fdb', 'show', 'dev', 'vx0']);
      expect(fdb.filter((e) => e.dst).map((e) => `${e.mac} ${e.dst} ${e.state}`).sort()).toEqual([
        '00:00:00:00:00:00 192.0.2.1 permanent',
        '02:42:0a:00:00:09 192.0.2.2 permanent',
      ]);
    });

    it('sets hairpin on a bridge port', async () => {
      await nl.createLink(host.ref, { kind: 'bridge', name: 'br0' });
      await nl.createLink(host.ref, { kind: 'veth', name: 'vh0', peer: { name: 'eth0', ns: ctr.ref } });
      await nl.setLinkMaster(host.ref, 'vh0', 'br0');
      await nl.setBridgePortHairpin(host.ref, 'vh0', true);
      const [port] = await ipJson<Array<{ linkinfo: { info_slave_data: { hairpin: boolean } } }>>(host.name, ['-d', 'link', 'show', 'vh0']);
      expect(port.linkinfo.info_slave_data.hairpin).toBe(true);
    });

    it('lets the namespace die with its veth once the socket is released', async () => {
      await nl.createLink(host.ref, { kind: 'veth', name: 'vh0', peer: { name: 'eth0', ns: ctr.ref } });
      await nl.setLinkUp(ctr.ref, 'eth0');
      nl.close(ctr.ref);
      await ctr.dispose();
      for (let i = 0; i < 50 && (await ipJson<unknown[]>(host.name, ['link', 'show'])).length > 1; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await ipJson<Array<{ ifname: string }>>(host.name, ['link', 'show'])).map((l) => l.ifname)).toEqual(['lo']);
    });
  });
});
