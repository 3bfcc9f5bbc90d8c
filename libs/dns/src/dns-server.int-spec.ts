import { randomInt } from 'node:crypto';
import { withNetns } from '@app/kernel';
import { TempNetns, createTempNetns, describeAsRoot, nsExec, run } from '@app/kernel/testing';
import { DnsServer } from './dns-server';
import { Forwarder } from './forwarder';
import { MemoryDnsBackend } from './memory-dns-backend';
import { FakeUpstream } from './testing/fake-upstream';

const WEB = 'a1'.repeat(32);
const DB = 'b2'.repeat(32);
const THIRD = 'c3'.repeat(32);

/** busybox nslookup inside `ns`; returns its output whether it succeeded or not. */
async function nslookup(ns: TempNetns, name: string, server: string): Promise<string> {
  try {
    return await nsExec(ns.name, 'busybox', ['nslookup', name, server]);
  } catch (e) {
    return (e as Error).message;
  }
}

describeAsRoot('DnsServer in network namespaces', () => {
  const made: TempNetns[] = [];
  let server: DnsServer | undefined;
  let upstream: FakeUpstream | undefined;
  let backend: MemoryDnsBackend;
  const net = `10.${randomInt(100, 250)}.${randomInt(0, 250)}`;

  beforeEach(async () => {
    backend = new MemoryDnsBackend();
    backend.upsertNetwork({ id: 'n1', name: 'front' });
    backend.upsertNetwork({ id: 'n2', name: 'back' });
    backend.upsertEndpoint({ networkId: 'n1', endpointId: 'e1', containerId: WEB, name: 'web', ipv4: `${net}.2`, links: { database: 'db' } });
    backend.upsertEndpoint({ networkId: 'n1', endpointId: 'e2', containerId: DB, name: 'db', ipv4: `${net}.3` });
    backend.upsertEndpoint({ networkId: 'n2', endpointId: 'e3', containerId: THIRD, name: 'hidden', ipv4: '10.99.0.2' });
    // The fake upstream listens on the test process's loopback: the forwarder lives on the
    // daemon side, so a loopback upstream is reached there and never from inside a container.
    upstream = await new FakeUpstream({ kind: 'rcode', rcode: 'NXDOMAIN' }).start();
    backend.setUpstreams({ host: [upstream.server] });
    server = new DnsServer(backend, { forwarder: new Forwarder({ timeoutMs: 500 }) });
  });

  afterEach(async () => {
    await server?.close();
    await upstream?.stop();
    for (const ns of made.splice(0)) await ns.dispose().catch(() => undefined);
  });

  const netns = async (): Promise<TempNetns> => {
    const ns = await createTempNetns();
    made.push(ns);
    await run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
    return ns;
  };

  it('answers busybox nslookup at 127.0.0.11:53 bound inside the container namespace', async () => {
    const c = await netns();
    await server!.listenUdp({ address: '127.0.0.11', port: 53, scope: { sandbox: WEB }, enter: (fn) => withNetns(c.ref, fn) });
    const sockets = await nsExec(c.name, 'ss', ['-lun']);
    expect(sockets).toContain('127.0.0.11:53');
    expect(await run('ss', ['-lun', 'sport = :53'])).not.toContain('127.0.0.11:53');

    expect(await nslookup(c, 'db', '127.0.0.11')).toMatch(new RegExp(`Address:\\s+${net}\\.3`));
    expect(await nslookup(c, 'database', '127.0.0.11')).toMatch(new RegExp(`Address:\\s+${net}\\.3`));
    expect(await nslookup(c, 'hidden', '127.0.0.11')).toContain("can't find hidden: NXDOMAIN");
    expect(upstream!.asked.map((a) => a.name)).toContain('hidden');
    backend.removeContainer(DB);
    expect(await nslookup(c, 'db', '127.0.0.11')).toContain("can't find db: NXDOMAIN");
  });

  it('scopes answers by source address on a gateway listener shared by two containers', async () => {
    const host = await netns();
    const c1 = await netns();
    const c2 = await netns();
    const ip = (...args: string[]): Promise<string> => run('ip', args);
    await ip('-n', host.name, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', host.name, 'addr', 'add', `${net}.1/24`, 'dev', 'br0');
    await ip('-n', host.name, 'link', 'set', 'br0', 'up');
    for (const [i, c] of [c1, c2].entries()) {
      await ip('-n', host.name, 'link', 'add', `v${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c.name);
      await ip('-n', host.name, 'link', 'set', `v${i}`, 'master', 'br0', 'up');
      await ip('-n', c.name, 'addr', 'add', `${net}.${i + 2}/24`, 'dev', 'eth0');
      await ip('-n', c.name, 'link', 'set', 'eth0', 'up');
    }
    await server!.listenUdp({ address: `${net}.1`, port: 53, scope: { network: 'n1' }, enter: (fn) => withNetns(host.ref, fn) });

    // c1 (.2) is web, which links db as "database"; c2 (.3) is db itself.
    expect(await nslookup(c1, 'database', `${net}.1`)).toMatch(new RegExp(`Address:\\s+${net}\\.3`));
    expect(await nslookup(c2, 'database', `${net}.1`)).toContain("can't find database: NXDOMAIN");
    expect(await nslookup(c2, 'web', `${net}.1`)).toMatch(new RegExp(`Address:\\s+${net}\\.2`));
    expect(await nslookup(c1, 'hidden', `${net}.1`)).toContain("can't find hidden: NXDOMAIN");
    // An address that is no endpoint of n1 (here c2 after it leaves) is refused.
    backend.removeEndpoint('n1', 'e2');
    expect(await nslookup(c2, 'web', `${net}.1`)).toContain('REFUSED');
  });
});
