import type { Target } from '@app/dns/testing/dns-client';
import { ask, datas } from '@app/dns/testing/dns-client';
import { FakeUpstream } from '@app/dns/testing/fake-upstream';
import pino from 'pino';
import { FakeDaemon, startFakeDaemon } from '../testing/fake-daemon';
import { DnsService } from './dns.service';
import type { ContainerDnsView } from './container-dns';
import type { SandboxBinder } from './sandbox-binder';
import { eventually } from '@app/common/testing';

/** Listens on loopback instead of 127.0.0.11 in a namespace: the fake kernel has no namespaces. */
function loopbackBinder(targets: Map<string, { udp: Target; tcp: Target }>): SandboxBinder {
  return async (server, scope) => {
    const udp = await server.listenUdp({ address: '127.0.0.1', port: 0, scope });
    const tcp = await server.listenTcp({ address: '127.0.0.1', port: 0, scope });
    targets.set((scope as { sandbox: string }).sandbox, { udp, tcp });
    return [udp, tcp];
  };
}

describe(DnsService.name, () => {
  let d: FakeDaemon;
  let dns: DnsService;
  let upstream: FakeUpstream;
  const targets = new Map<string, { udp: Target; tcp: Target }>();

  const views = new Map<string, ContainerDnsView>();
  const make = (overrides: Partial<ConstructorParameters<typeof DnsService>[0]['config']> = {}): DnsService =>
    new DnsService({
      config: { ...d.rt.config, ...overrides },
      store: d.rt.store,
      events: d.rt.events,
      sandboxes: d.rt.sandboxes,
      log: pino({ level: process.env.DNS_DEBUG ? 'debug' : 'silent' }),
      bind: loopbackBinder(targets),
      // no nameserver line: a unit test must never forward to the machine's resolver
      readHostResolvConf: () => 'search corp.example lab.example\n',
      forwarderTimeoutMs: 300,
      container: (id) => views.get(id),
    });

  beforeEach(async () => {
    targets.clear();
    views.clear();
    d = await startFakeDaemon();
    upstream = await new FakeUpstream({ kind: 'zone', records: { 'example.org': ['192.0.2.7'] } }).start();
    for (const [name, subnet] of [['front', '10.70.0.0/24'], ['back', '10.71.0.0/24']]) {
      expect((await d.request('POST', '/networks/create', { Name: name, IPAM: { Config: [{ Subnet: subnet }] } })).status).toBe(201);
    }
    expect((await d.request('POST', '/networks/create', { Name: 'sealed', Internal: true })).status).toBe(201);
  });

  afterEach(async () => {
    await dns?.close();
    await upstream.stop();
    await d.close();
  });

  const connect = async (net: string, container: string, body: object = {}): Promise<void> => {
    const res = await d.request('POST', `/networks/${net}/connect`, { Container: container, ...body });
    expect(res).toMatchObject({ status: 200 });
  };
  const at = (sandboxId: string, transport: 'udp' | 'tcp' = 'udp'): Target => {
    const t = targets.get(sandboxId);
    if (!t) throw new Error(`sandbox ${sandboxId} is not served`);
    return t[transport];
  };

  describe('records', () => {
    it('answers names, aliases, name.network, short ids and PTR, scoped to shared networks', async () => {
      dns = make();
      await dns.start();
      const web = await d.rt.sandboxes.create('web');
      const db = await d.rt.sandboxes.create('db');
      const other = await d.rt.sandboxes.create('other');
      await connect('front', 'web');
      await connect('front', 'db', { EndpointConfig: { Aliases: ['database'] } });
      await connect('back', 'other');
      await dns.sandboxUp(web.id, { path: '/run/netns/web' }, { dns: [upstream.server] });

      expect(datas(await ask(at(web.id), 'db'))).toEqual(['10.70.0.3']);
      expect(datas(await ask(at(web.id), 'DATABASE'))).toEqual(['10.70.0.3']);
      expect(datas(await ask(at(web.id), 'db.front'))).toEqual(['10.70.0.3']);
      expect(datas(await ask(at(web.id), db.id.slice(0, 12)))).toEqual(['10.70.0.3']);
      expect(datas(await ask(at(web.id), '3.0.70.10.in-addr.arpa', 'PTR'))).toEqual(['db.front']);
      const aaaa = await ask(at(web.id), 'db', 'AAAA');
      expect([aaaa.rcode, aaaa.answers]).toEqual(['NOERROR', []]);
      // not shared: forwarded to the container's --dns, which does not know it
      expect((await ask(at(web.id), 'other')).rcode).toBe('NXDOMAIN');
      expect(upstream.asked.map((q) => q.name)).toEqual(['other']);
      expect(datas(await ask(at(web.id), 'example.org'))).toEqual(['192.0.2.7']);
      expect(datas(await ask(at(other.id, 'tcp'), 'other', 'A', true))).toEqual(['10.71.0.2']);
    });

    it('takes new upstream servers and answer TTL on a reload', async () => {
      dns = make({ dnsTtl: 10 });
      await dns.start();
      const web = await d.rt.sandboxes.create('web');
      await d.rt.sandboxes.create('db');
      await connect('front', 'web');
      await connect('front', 'db');
      await dns.sandboxUp(web.id, { path: '/run/netns/web' }, {});
      expect((await ask(at(web.id), 'db')).answers?.map((a) => (a as { ttl?: number }).ttl)).toEqual([10]);
      dns.reconfigure(['192.0.2.53'], 42);
      expect((await ask(at(web.id), 'db')).answers?.map((a) => (a as { ttl?: number }).ttl)).toEqual([42]);
      expect(dns.backend.snapshot().upstreams?.daemon).toEqual(['192.0.2.53']);
    });

    it('answers AAAA with the IPv6 address of an endpoint on an --ipv6 network, and its PTR', async () => {
      dns = make();
      await dns.start();
      const body = { Name: 'dual', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.72.0.0/24' }, { Subnet: 'fd00:72::/64' }] } };
      expect((await d.request('POST', '/networks/create', body)).status).toBe(201);
      const web = await d.rt.sandboxes.create('web');
      await d.rt.sandboxes.create('db');
      await connect('dual', 'web');
      await connect('dual', 'db', { EndpointConfig: { Aliases: ['database'], IPAMConfig: { IPv6Address: 'fd00:72::db' } } });
      await dns.sandboxUp(web.id, { path: '/run/netns/web' }, {});
      expect(datas(await ask(at(web.id), 'db', 'AAAA'))).toEqual(['fd00:72::db']);
      expect(datas(await ask(at(web.id), 'database', 'AAAA'))).toEqual(['fd00:72::db']);
      expect(datas(await ask(at(web.id), 'db'))).toEqual(['10.72.0.3']);
      const ptr = 'b.d.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.7.0.0.0.0.d.f.ip6.arpa';
      expect(datas(await ask(at(web.id), ptr, 'PTR'))).toEqual(['db.dual']);
    });

    it('follows connect and disconnect at once, serving a sandbox from its first endpoint to its last', async () => {
      dns = make();
      await dns.start();
      const a = await d.rt.sandboxes.create('a');
      await d.rt.sandboxes.create('b');
      await connect('front', 'a');
      await new Promise((r) => setImmediate(r));
      await eventually('the resolver listening in the sandbox', () => targets.has(a.id), 2000, 5);
      expect(dns.isServing(a.id)).toBe(true);
      expect((await ask(at(a.id), 'b')).rcode).not.toBe('NOERROR');
      await connect('front', 'b', { EndpointConfig: { Aliases: ['shared'] } });
      expect(datas(await ask(at(a.id), 'b'))).toEqual(['10.70.0.3']);
      expect((await d.request('POST', '/networks/front/disconnect', { Container: 'b' })).status).toBe(200);
      expect((await ask(at(a.id), 'shared')).rcode).not.toBe('NOERROR');
      expect((await d.request('POST', '/networks/front/disconnect', { Container: 'a' })).status).toBe(200);
      await eventually('the DNS to stop serving a', () => !dns.isServing(a.id), 2000, 5);
    });

    it('shows a link alias to the linking sandbox only, and follows a rename of the target', async () => {
      dns = make();
      await dns.start();
      const web = await d.rt.sandboxes.create('web');
      const db = await d.rt.sandboxes.create('db');
      const third = await d.rt.sandboxes.create('third');
      await d.rt.endpoints.connect('front', { container: 'db' });
      await d.rt.endpoints.connect('front', { container: 'web', links: [{ container: db.id, alias: 'sql' }] });
      await d.rt.endpoints.connect('front', { container: 'third' });
      await eventually('the resolver listening in the sandbox', () => targets.has(web.id) && targets.has(third.id), 2000, 5);
      expect(datas(await ask(at(web.id), 'sql'))).toEqual(['10.70.0.2']);
      expect((await ask(at(third.id), 'sql')).rcode).not.toBe('NOERROR');
      // the container core renames the sandbox record and publishes a container event
      d.rt.store.db.prepare('UPDATE sandboxes SET name = ? WHERE id = ?').run('pg', db.id);
      d.rt.events.publish('rename', db.id, { name: 'pg', oldName: 'db' }, 'container');
      expect(datas(await ask(at(third.id), 'pg'))).toEqual(['10.70.0.2']);
      expect((await ask(at(third.id), 'db')).rcode).not.toBe('NOERROR');
      expect(datas(await ask(at(web.id), 'sql'))).toEqual(['10.70.0.2']);
      expect(datas(await ask(at(web.id), '2.0.70.10.in-addr.arpa', 'PTR'))).toEqual(['pg.front']);
    });

    it('never forwards for a sandbox only on internal networks (SERVFAIL)', async () => {
      dns = make({ dns: [] });
      await dns.start();
      const s = await d.rt.sandboxes.create('s');
      await connect('sealed', 's');
      await dns.sandboxUp(s.id, { path: '/run/netns/s' }, { dns: [upstream.server] });
      expect((await ask(at(s.id), 'example.org')).rcode).toBe('SERVFAIL');
      expect(upstream.asked).toEqual([]);
    });

    it.each([true, false])('serves names on the default bridge unless embedded-dns-default-bridge is false (%s)', async (on) => {
      dns = make({ embeddedDnsDefaultBridge: on });
      await dns.start();
      const a = await d.rt.sandboxes.create('a');
      await d.rt.sandboxes.create('b');
      await connect('bridge', 'a');
      await connect('bridge', 'b');
      await eventually('the resolver listening in the sandbox', () => targets.has(a.id), 2000, 5);
      const r = await ask(at(a.id), 'b');
      if (on) expect(datas(r)).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+\.3$/)]);
      else expect([r.rcode, datas(r)]).toEqual(['SERVFAIL', []]);
    });
  });

  describe('container records', () => {
    it('answers the hostname and the --add-host entries of the container record, the latter to it alone', async () => {
      dns = make();
      await dns.start();
      const web = await d.rt.sandboxes.create('web');
      const other = await d.rt.sandboxes.create('other');
      views.set(web.id, { hostname: 'h1', options: {}, extraHosts: { 'host.docker.internal': ['192.0.2.1'] } });
      await connect('front', 'web');
      await connect('front', 'other');
      await eventually('the resolver listening in the sandbox', () => targets.has(other.id) && targets.has(web.id), 2000, 5);
      expect(datas(await ask(at(other.id), 'h1'))).toEqual(['10.70.0.2']);
      expect(datas(await ask(at(web.id), 'host.docker.internal'))).toEqual(['192.0.2.1']);
      expect((await ask(at(other.id), 'host.docker.internal')).rcode).not.toBe('NOERROR');
    });

    it('serves a hostname that is no DNS name without it, the container name still resolving', async () => {
      dns = make();
      await dns.start();
      const web = await d.rt.sandboxes.create('web');
      const other = await d.rt.sandboxes.create('other');
      views.set(web.id, { hostname: 'bad host', options: {} });
      await connect('front', 'web');
      await connect('front', 'other');
      await eventually('the resolver listening in the sandbox', () => targets.has(other.id), 2000, 5);
      expect(datas(await ask(at(other.id), 'web'))).toEqual(['10.70.0.2']);
    });

    it('starts with a network whose name is no DNS name (dockerd takes "my net"), serving its containers by name', async () => {
      expect((await d.request('POST', '/networks/create', { Name: 'my net', IPAM: { Config: [{ Subnet: '10.72.0.0/24' }] } })).status).toBe(201);
      await d.rt.sandboxes.create('web');
      const other = await d.rt.sandboxes.create('other');
      await connect('my net', 'web');
      await connect('my net', 'other');
      dns = make();
      await dns.start();
      expect(datas(await ask(at(other.id), 'web'))).toEqual(['10.72.0.2']);
    });

    it('forwards to the record\'s --dns after a restart, when nobody called sandboxUp', async () => {
      const web = await d.rt.sandboxes.create('web');
      await connect('front', 'web');
      views.set(web.id, { options: { dns: [upstream.server] } });
      dns = make({ dns: [] });
      await dns.start();
      expect(datas(await ask(at(web.id), 'example.org'))).toEqual(['192.0.2.7']);
      expect(upstream.asked.map((q) => q.name)).toEqual(['example.org']);
    });
  });

  describe('upsertRemote / removeRemote', () => {
    it('answers a record from another host to containers on that network until it is removed', async () => {
      dns = make();
      await dns.start();
      const web = await d.rt.sandboxes.create('web');
      const far = await d.rt.sandboxes.create('far');
      await connect('front', 'web');
      await connect('back', 'far');
      await eventually('the resolver listening in the sandbox', () => targets.has(web.id) && targets.has(far.id), 2000, 5);
      const front = d.rt.store.networkByName('front')!.id;
      dns.upsertRemote(front, { id: 'ep-remote', name: 'remote1', aliases: ['api'], ipv4: '10.70.0.200' });
      expect(datas(await ask(at(web.id), 'remote1'))).toEqual(['10.70.0.200']);
      expect(datas(await ask(at(web.id), 'api.front'))).toEqual(['10.70.0.200']);
      expect(datas(await ask(at(web.id), '200.0.70.10.in-addr.arpa', 'PTR'))).toEqual(['remote1.front']);
      expect((await ask(at(far.id), 'remote1')).rcode).not.toBe('NOERROR');
      dns.removeRemote(front, 'ep-remote');
      expect((await ask(at(web.id), 'remote1')).rcode).not.toBe('NOERROR');
    });

    it.each([
      ['an unknown network', 'nope', { id: 'x', name: 'x', ipv4: '10.70.0.9' }, 'not-found'],
      ['a bad name', 'front', { id: 'x', name: 'bad name', ipv4: '10.70.0.9' }, 'invalid-parameter'],
      ['a bad address', 'front', { id: 'x', name: 'x', ipv4: '10.70.0' }, 'invalid-parameter'],
    ])('rejects %s and changes nothing', async (_n, net, rec, kind) => {
      dns = make();
      await dns.start();
      const id = d.rt.store.networkByName(net)?.id ?? net;
      const gen = dns.backend.generation;
      expect(() => dns.upsertRemote(id, rec)).toThrow(expect.objectContaining({ kind }));
      expect(dns.backend.generation).toBe(gen);
      expect(() => dns.removeRemote(id, 'x')).toThrow(expect.objectContaining({ kind: 'not-found' }));
    });
  });

  describe('start', () => {
    it('serves every sandbox that has endpoints again after a restart', async () => {
      const a = await d.rt.sandboxes.create('a');
      await d.rt.sandboxes.create('b');
      await connect('front', 'a');
      await connect('front', 'b');
      dns = make();
      await dns.start();
      expect(datas(await ask(at(a.id), 'b'))).toEqual(['10.70.0.3']);
    });
  });

  describe('resolvConf', () => {
    it('points at 127.0.0.11 with the host search domains, or the container own ones, and ndots:0', () => {
      dns = make();
      expect(dns.resolvConf({})).toContain('nameserver 127.0.0.11\nsearch corp.example lab.example\noptions ndots:0\n');
      const own = dns.resolvConf({ dnsSearch: ['svc.local'], dnsOptions: ['timeout:2'] });
      expect(own).toContain('search svc.local\noptions ndots:0 timeout:2\n');
      expect(() => dns.resolvConf({ dnsOptions: ['bad option'] })).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
    });
  });
});
