import { describeAsRoot, ipJson, nsExec, run } from '@app/kernel/testing';
import { assertTestAddresses, type DhtTestnet, startDhtTestnet } from './support/dht-testnet';
import { createL3Segment, type L3Segment } from './support/l3-segment';

// The e2e topology itself: an underlay bridge namespace, three host namespaces and a private DHT on
// the bridge's address. Proves the pieces the overlay scenarios stand on, and that they clean up.
jest.setTimeout(60_000);

const reachable = (from: string, to: string) =>
  nsExec(from, 'ping', ['-c1', '-W1', to]).then(
    () => true,
    () => false,
  );

describeAsRoot('e2e support: L3 segment and DHT testnet', () => {
  let segment: L3Segment | undefined;
  let testnet: DhtTestnet | undefined;

  afterAll(async () => {
    await testnet?.stop();
    await segment?.dispose();
  });

  it('joins three hosts on one segment with forwarding on and IPv6 usable at once', async () => {
    segment = await createL3Segment(3);
    const [h1, h2, h3] = segment.hosts;
    expect(segment.hosts.map((h) => h.ipv4)).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    for (const [a, b] of [[h1, h2], [h2, h3], [h3, h1]]) {
      expect(await reachable(a.ns.name, b.ipv4)).toBe(true);
      expect(await reachable(a.ns.name, b.ipv6)).toBe(true);
    }
    expect(await reachable(h1.ns.name, segment.bridgeIpv4)).toBe(true);
    // The switch runs no netfilter (where br_netfilter is loaded at all; -e: the key may be absent).
    expect((await nsExec(segment.bridgeNs.name, 'sysctl', ['-en', 'net.bridge.bridge-nf-call-iptables'])).trim()).toMatch(/^0?$/);
    for (const h of segment.hosts) {
      expect((await nsExec(h.ns.name, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).trim()).toBe('1');
      const addrs = await ipJson<{ addr_info: { local: string; tentative?: boolean }[] }[]>(h.ns.name, ['addr', 'show', 'dev', 'ul0']);
      expect(addrs[0].addr_info.find((a) => a.local === h.ipv6)).toEqual(expect.not.objectContaining({ tentative: true }));
      // Only the segment: no default route anywhere out of it.
      expect(await ipJson(h.ns.name, ['route', 'show', 'default'])).toEqual([]);
    }
    expect(segment.owns('192.0.2.7')).toBe(true);
    expect(segment.owns('8.8.8.8')).toBe(false);
  });

  it('cuts and restores one host link', async () => {
    const [h1, , h3] = segment!.hosts;
    await segment!.setLink(h3, false);
    expect(await reachable(h1.ns.name, h3.ipv4)).toBe(false);
    await segment!.setLink(h3, true);
    expect(await reachable(h1.ns.name, h3.ipv4)).toBe(true);
  });

  it('runs a DHT testnet bound to the bridge address that knows only test addresses', async () => {
    testnet = await startDhtTestnet(segment!.bridgeNs, segment!.bridgeIpv4, segment!.owns);
    expect(testnet.bootstrap).toEqual([{ host: '192.0.2.254', port: expect.any(Number) }]);
    expect(testnet.addresses.length).toBeGreaterThanOrEqual(3);
    for (const a of testnet.addresses) expect(a.host).toBe('192.0.2.254');
    // A DHT client in a host namespace, bound to that host's address, bootstraps from it.
    const client = `const DHT = require(${JSON.stringify(require.resolve('hyperdht'))});
      const d = new DHT({ bootstrap: ${JSON.stringify(testnet.bootstrap)}, host: '192.0.2.1', ephemeral: true });
      d.fullyBootstrapped().then(() => { console.log(JSON.stringify(d.toArray())); return d.destroy(); });`;
    const known = JSON.parse(await run('nsenter', [`--net=${segment!.hosts[0].ns.ref.path}`, process.execPath, '-e', client])) as { host: string }[];
    expect(known.length).toBeGreaterThan(0);
    for (const a of known) expect(a.host).toBe('192.0.2.254');
    expect(() => assertTestAddresses('x', [{ host: '88.99.3.86', port: 49737 }], segment!.owns)).toThrow(/points outside the test: 88\.99\.3\.86:49737/);
  });

  it('leaves nothing behind', async () => {
    const names = [segment!.bridgeNs.name, ...segment!.hosts.map((h) => h.ns.name)];
    const pid = testnet!.pid;
    await testnet!.stop();
    await segment!.dispose();
    const left = await run('ip', ['netns', 'list']);
    for (const n of names) expect(left).not.toContain(n);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
