import { FakeNetlink } from '@app/kernel/testing';
import { HostDriver } from './host/host.driver';
import { NullDriver } from './null/null.driver';

const HOST_ID = 'a'.repeat(64);
const NONE_ID = 'b'.repeat(64);
const EP = 'c'.repeat(64);
const base = { internal: false, enableIpv6: false, ipv4: [], ipv6: [], options: {} };

describe(HostDriver.name, () => {
  it('allows one host network, replayable, never a second or a removal', async () => {
    const d = new HostDriver();
    await d.createNetwork({ ...base, networkId: HOST_ID, name: 'host' });
    await d.createNetwork({ ...base, networkId: HOST_ID, name: 'host' });
    await expect(d.createNetwork({ ...base, networkId: NONE_ID, name: 'host2' }))
      .rejects.toMatchObject({ kind: 'forbidden', message: 'only one instance of "host" network is allowed' });
    await expect(d.deleteNetwork(HOST_ID)).rejects.toMatchObject({ kind: 'forbidden', message: 'host is a pre-defined network and cannot be removed' });
  });

  it('joins without touching anything', async () => {
    const d = new HostDriver();
    await d.createNetwork({ ...base, networkId: HOST_ID, name: 'host' });
    await d.createEndpoint({ networkId: HOST_ID, endpointId: EP, addresses: [] });
    await expect(d.join({ networkId: HOST_ID, endpointId: EP, sandbox: { path: '/proc/1/ns/net' }, ifname: 'eth0', defaultRoute: true })).resolves.toEqual({ ifname: '' });
    await d.leave(HOST_ID, EP);
    await d.deleteEndpoint(HOST_ID, EP);
  });

  it('refuses options', () => {
    expect(() => new HostDriver().parseOptions({ x: '1' })).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: 'unknown option "x" for the host driver' }));
  });
});

describe(NullDriver.name, () => {
  it('brings loopback up in the sandbox and nothing else', async () => {
    const netlink = new FakeNetlink();
    const sb = netlink.addNamespace('/run/netns/c');
    const d = new NullDriver({ netlink });
    await d.createNetwork({ ...base, networkId: NONE_ID, name: 'none' });
    await d.createEndpoint({ networkId: NONE_ID, endpointId: EP, addresses: [] });
    await d.join({ networkId: NONE_ID, endpointId: EP, sandbox: sb, ifname: 'eth0', defaultRoute: true });
    expect(netlink.linksIn(sb).map((l) => [l.name, l.up])).toEqual([['lo', true]]);
    await expect(d.deleteNetwork(NONE_ID)).rejects.toMatchObject({ kind: 'forbidden', message: 'none is a pre-defined network and cannot be removed' });
    await expect(d.createNetwork({ ...base, networkId: HOST_ID, name: 'none2' })).rejects.toMatchObject({ kind: 'forbidden' });
  });

  it('refuses endpoints of unknown networks', async () => {
    const d = new NullDriver({ netlink: new FakeNetlink() });
    await expect(d.createEndpoint({ networkId: NONE_ID, endpointId: EP, addresses: [] })).rejects.toMatchObject({ kind: 'not-found' });
  });
});
