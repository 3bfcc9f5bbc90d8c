import { FakeFirewall } from './fake-firewall';
import { FakeNetlink } from './fake-netlink';
import { FakeNetns } from './fake-netns';
import { FakeSysctl } from './fake-sysctl';
import { describeFirewallContract } from './firewall.contract';
import { describeNetnsContract } from './netns.contract';
import { describeSysctlContract } from './sysctl.contract';

let counter = 0;

describeNetnsContract('FakeNetns', async () => ({
  netns: new FakeNetns(new FakeNetlink()),
  freshName: () => `fake-${counter++}`,
  dispose: async () => undefined,
}));

describeFirewallContract('FakeFirewall', async () => {
  const firewall = new FakeFirewall();
  return {
    firewall,
    newNamespace: async () => ({ path: `/run/netns/fake-${counter++}` }),
    listTable: async (ns, family, name) => firewall.tableOf(ns, family, name),
    dispose: async () => undefined,
  };
});

describeSysctlContract('FakeSysctl', async () => {
  const netlink = new FakeNetlink();
  return {
    sysctl: new FakeSysctl(netlink),
    newNamespace: async () => netlink.addNamespace(`/run/netns/fake-${counter++}`),
    dispose: async () => undefined,
  };
});

describe(FakeFirewall.name, () => {
  const ns = { path: '/run/netns/a' };

  it('records applies and deletes in order', async () => {
    const fw = new FakeFirewall();
    await fw.apply(ns, { family: 'inet', name: 'netd', body: 'chain c { }' });
    await fw.deleteTable(ns, 'inet', 'netd');
    expect(fw.events.map((e) => e.op)).toEqual(['apply', 'delete']);
  });

  it('exposes the body of a live table', async () => {
    const fw = new FakeFirewall();
    await fw.apply(ns, { family: 'ip', name: 'netd', body: 'chain c { }' });
    expect(fw.tableOf(ns, 'ip', 'netd')).toBe('chain c { }');
    expect(fw.tablesIn(ns)).toEqual(['ip netd']);
  });

  it('ignores braces inside strings and comments', async () => {
    const fw = new FakeFirewall();
    await fw.apply(ns, { family: 'inet', name: 'netd', body: 'chain c {\n  # a } in a comment\n  comment "a { b"\n}' });
    expect(fw.tablesIn(ns)).toEqual(['inet netd']);
  });

  it('rejects a body that closes the table early to reach another one', async () => {
    const fw = new FakeFirewall();
    await expect(fw.apply(ns, { family: 'inet', name: 'netd', body: '} table ip filter { ' })).rejects.toMatchObject({
      kind: 'invalid-parameter',
    });
  });
});

describe(FakeSysctl.name, () => {
  it('knows per-interface keys only while the link exists', async () => {
    const netlink = new FakeNetlink();
    const ns = netlink.addNamespace('/n');
    const sysctl = new FakeSysctl(netlink);
    await netlink.createLink(ns, { kind: 'dummy', name: 'd0' });
    expect(await sysctl.get(ns, 'net.ipv4.conf.d0.route_localnet')).toBe('0');
    await netlink.deleteLink(ns, 'd0');
    await expect(sysctl.get(ns, 'net.ipv4.conf.d0.route_localnet')).rejects.toMatchObject({ kind: 'not-found' });
  });
});
