import { MemoryDnsBackend, DnsEndpoint } from './memory-dns-backend';
import { Asker } from './dns-backend';

const WEB_ID = 'aaaaaaaaaaaa' + '1'.repeat(52);
const DB_ID = 'bbbbbbbbbbbb' + '2'.repeat(52);
const OTHER_ID = 'cccccccccccc' + '3'.repeat(52);
const THIRD_ID = 'dddddddddddd' + '4'.repeat(52);

function world(): MemoryDnsBackend {
  const b = new MemoryDnsBackend();
  b.upsertNetwork({ id: 'n1', name: 'front' });
  b.upsertNetwork({ id: 'n2', name: 'back' });
  b.upsertNetwork({ id: 'n3', name: 'sealed', internal: true });
  const ep = (e: Partial<DnsEndpoint> & Pick<DnsEndpoint, 'networkId' | 'endpointId' | 'containerId' | 'name'>): void =>
    b.upsertEndpoint(e);
  ep({ networkId: 'n1', endpointId: 'e-web', containerId: WEB_ID, name: 'web', hostname: 'webhost', aliases: ['www'], ipv4: '10.1.0.2', ipv6: 'fd00:1::2', links: { database: 'db' } });
  ep({ networkId: 'n1', endpointId: 'e-db1', containerId: DB_ID, name: 'db', aliases: ['store'], ipv4: '10.1.0.3' });
  ep({ networkId: 'n2', endpointId: 'e-db2', containerId: DB_ID, name: 'db', ipv4: '10.2.0.3' });
  ep({ networkId: 'n2', endpointId: 'e-other', containerId: OTHER_ID, name: 'other', aliases: ['store'], ipv4: '10.2.0.4' });
  ep({ networkId: 'n1', endpointId: 'e-third', containerId: THIRD_ID, name: 'third', aliases: ['www'], ipv4: '10.1.0.5' });
  return b;
}

const asker = (b: MemoryDnsBackend, id: string): Asker => b.asker({ sandbox: id }, '127.0.0.1')!;

describe(MemoryDnsBackend.name, () => {
  describe('lookup', () => {
    it.each([
      { name: 'container name', who: WEB_ID, q: 'db', fam: 4, want: ['10.1.0.3'] },
      { name: 'names are case-insensitive', who: WEB_ID, q: 'DB'.toLowerCase(), fam: 4, want: ['10.1.0.3'] },
      { name: 'network alias', who: DB_ID, q: 'www', fam: 4, want: ['10.1.0.2', '10.1.0.5'] },
      { name: 'short id', who: DB_ID, q: 'aaaaaaaaaaaa', fam: 4, want: ['10.1.0.2'] },
      { name: 'hostname', who: DB_ID, q: 'webhost', fam: 4, want: ['10.1.0.2'] },
      { name: 'name.network', who: WEB_ID, q: 'db.front', fam: 4, want: ['10.1.0.3'] },
      { name: 'alias.network', who: DB_ID, q: 'store.back', fam: 4, want: ['10.2.0.4'] },
      { name: 'AAAA of a dual-stack name', who: DB_ID, q: 'web', fam: 6, want: ['fd00:1::2'] },
      { name: 'AAAA of a v4-only name is empty, not unknown', who: WEB_ID, q: 'db', fam: 6, want: [] },
      { name: 'link alias, for the linking container', who: WEB_ID, q: 'database', fam: 4, want: ['10.1.0.3'] },
      { name: 'the asker’s first network wins for a name on two', who: DB_ID, q: 'store', fam: 4, want: ['10.1.0.3'] },
      { name: 'a name on a shared second network', who: DB_ID, q: 'other', fam: 4, want: ['10.2.0.4'] },
    ])('$name', ({ who, q, fam, want }) => {
      const b = world();
      expect(b.lookup(asker(b, who), q, fam as 4 | 6)).toEqual({ kind: 'found', addresses: want });
    });

    it.each([
      { name: 'a name on another network', who: WEB_ID, q: 'other' },
      { name: 'name.network of a network the asker is not on', who: WEB_ID, q: 'db.back' },
      { name: 'a link alias for a third container', who: THIRD_ID, q: 'database' },
      { name: 'a link alias for the link target itself', who: DB_ID, q: 'database' },
      { name: 'an unknown name', who: WEB_ID, q: 'example.com' },
      { name: 'host.docker.internal without host-gateway', who: WEB_ID, q: 'host.docker.internal' },
      { name: 'an object-prototype key as link alias', who: WEB_ID, q: 'constructor' },
    ])('unknown: $name', ({ who, q }) => {
      const b = world();
      expect(b.lookup(asker(b, who), q, 4)).toEqual({ kind: 'unknown' });
    });

    it('forgets a removed endpoint at once', () => {
      const b = world();
      const a = asker(b, WEB_ID);
      b.removeEndpoint('n1', 'e-db1');
      expect(b.lookup(a, 'db', 4)).toEqual({ kind: 'unknown' });
      expect(b.lookup(a, 'database', 4)).toEqual({ kind: 'unknown' });
    });

    it('forgets a stopped container on every network, and it can no longer ask', () => {
      const b = world();
      b.removeContainer(DB_ID);
      expect(b.lookup(asker(b, WEB_ID), 'db', 4)).toEqual({ kind: 'unknown' });
      expect(b.asker({ sandbox: DB_ID }, '127.0.0.1')).toBeUndefined();
    });

    it('answers the new name after a rename, and not the old one', () => {
      const b = world();
      const g = b.generation;
      b.renameContainer(DB_ID, 'pg');
      const a = asker(b, WEB_ID);
      expect(b.generation).toBeGreaterThan(g);
      expect(b.lookup(a, 'pg', 4)).toEqual({ kind: 'found', addresses: ['10.1.0.3'] });
      expect(b.lookup(a, 'db', 4)).toEqual({ kind: 'unknown' });
    });

    it('sees a connect at once', () => {
      const b = world();
      const a = asker(b, WEB_ID);
      expect(b.lookup(a, 'other', 4).kind).toBe('unknown');
      b.upsertEndpoint({ networkId: 'n1', endpointId: 'e-other1', containerId: OTHER_ID, name: 'other', ipv4: '10.1.0.9' });
      expect(b.lookup(a, 'other', 4)).toEqual({ kind: 'found', addresses: ['10.1.0.9'] });
    });

    it('resolves host.docker.internal when host-gateway is configured', () => {
      const b = world();
      b.setHostGateway(['172.17.0.1', 'fd00::1']);
      expect(b.lookup(asker(b, WEB_ID), 'host.docker.internal', 4)).toEqual({ kind: 'found', addresses: ['172.17.0.1'] });
      expect(b.lookup(asker(b, WEB_ID), 'host.docker.internal', 6)).toEqual({ kind: 'found', addresses: ['fd00::1'] });
    });

    it('answers a container\'s --add-host entries to that container only, before network names', () => {
      const b = world();
      b.upsertEndpoint({
        networkId: 'n1', endpointId: 'e-web', containerId: WEB_ID, name: 'web', ipv4: '10.1.0.2',
        extraHosts: { 'host.docker.internal': ['172.17.0.1', 'fd00::1'], DB: ['10.9.9.9'] },
      });
      const web = asker(b, WEB_ID);
      expect(b.lookup(web, 'host.docker.internal', 4)).toEqual({ kind: 'found', addresses: ['172.17.0.1'] });
      expect(b.lookup(web, 'host.docker.internal', 6)).toEqual({ kind: 'found', addresses: ['fd00::1'] });
      expect(b.lookup(web, 'db', 4)).toEqual({ kind: 'found', addresses: ['10.9.9.9'] });
      expect(b.lookup(asker(b, THIRD_ID), 'host.docker.internal', 4)).toEqual({ kind: 'unknown' });
      expect(b.lookup(asker(b, THIRD_ID), 'db', 4)).toEqual({ kind: 'found', addresses: ['10.1.0.3'] });
      b.removeEndpoint('n1', 'e-web');
      b.upsertEndpoint({ networkId: 'n1', endpointId: 'e-web', containerId: WEB_ID, name: 'web', ipv4: '10.1.0.2' });
      expect(b.lookup(asker(b, WEB_ID), 'host.docker.internal', 4)).toEqual({ kind: 'unknown' });
    });

    it.each([
      ['a bad name', { 'bad name': ['10.0.0.1'] }, 'invalid DNS name: "bad name"'],
      ['a bad address', { good: ['host-gateway'] }, 'invalid address for good: "host-gateway"'],
    ])('rejects --add-host entries with %s and changes nothing', (_n, extraHosts, message) => {
      const b = world();
      const before = b.generation;
      expect(() => b.upsertEndpoint({ networkId: 'n1', endpointId: 'e-x', containerId: OTHER_ID, name: 'x', ipv4: '10.1.0.8', extraHosts })).toThrow(
        expect.objectContaining({ kind: 'invalid-parameter', message }),
      );
      expect(b.generation).toBe(before);
      expect(b.lookup(asker(b, DB_ID), 'x', 4)).toEqual({ kind: 'unknown' });
    });

    it('answers records learnt from other hosts, and drops them on removal', () => {
      const b = world();
      b.upsertRemote('n1', { id: 'r1', name: 'far', aliases: ['www'], ipv4: '10.1.7.7' });
      const a = asker(b, DB_ID);
      expect(b.lookup(a, 'far.front', 4)).toEqual({ kind: 'found', addresses: ['10.1.7.7'] });
      expect(b.lookup(a, 'www', 4)).toEqual({ kind: 'found', addresses: ['10.1.0.2', '10.1.0.5', '10.1.7.7'] });
      expect(b.reverse(a, '10.1.7.7')).toBe('far.front');
      b.removeRemote('n1', 'r1');
      expect(b.lookup(a, 'far', 4)).toEqual({ kind: 'unknown' });
    });

    it('answers no names on a network with names turned off', () => {
      const b = world();
      b.upsertNetwork({ id: 'n1', name: 'front', names: false });
      expect(b.lookup(asker(b, WEB_ID), 'db', 4)).toEqual({ kind: 'unknown' });
    });
  });

  describe('asker', () => {
    it('identifies a gateway listener’s asker by source address on that network only', () => {
      const b = world();
      expect(b.asker({ network: 'n1' }, '10.1.0.2')?.sandbox).toBe(WEB_ID);
      expect(b.asker({ network: 'n1' }, '::ffff:10.1.0.2')?.sandbox).toBe(WEB_ID);
      expect(b.asker({ network: 'n1' }, 'fd00:1:0::2')?.sandbox).toBe(WEB_ID);
      expect(b.asker({ network: 'n2' }, '10.1.0.2')).toBeUndefined();
      expect(b.asker({ network: 'n1' }, '10.1.0.99')).toBeUndefined();
      expect(b.asker({ network: 'nope' }, '10.1.0.2')).toBeUndefined();
      expect(b.asker({ sandbox: 'nope' }, '127.0.0.1')).toBeUndefined();
    });
  });

  describe('reverse', () => {
    it.each([
      { name: 'own network', who: WEB_ID, ip: '10.1.0.3', want: 'db.front' },
      { name: 'IPv6', who: DB_ID, ip: 'fd00:1::2', want: 'web.front' },
      { name: 'shared second network', who: DB_ID, ip: '10.2.0.4', want: 'other.back' },
      { name: 'another network is invisible', who: WEB_ID, ip: '10.2.0.4', want: undefined },
    ])('$name', ({ who, ip, want }) => {
      const b = world();
      expect(b.reverse(asker(b, who), ip)).toBe(want);
    });
  });

  describe('upstreams', () => {
    it('prefers the container’s --dns, then the daemon’s, then the host’s; at most 3', () => {
      const b = world();
      b.setUpstreams({ host: ['127.0.0.53'] });
      expect(b.upstreams(asker(b, WEB_ID))).toEqual({ kind: 'forward', servers: ['127.0.0.53'] });
      b.setUpstreams({ daemon: ['10.9.9.9', '10.9.9.8', '10.9.9.7', '10.9.9.6'] });
      expect(b.upstreams(asker(b, WEB_ID))).toEqual({ kind: 'forward', servers: ['10.9.9.9', '10.9.9.8', '10.9.9.7'] });
      b.upsertEndpoint({ networkId: 'n1', endpointId: 'e-third', containerId: THIRD_ID, name: 'third', ipv4: '10.1.0.5', upstreams: ['[fd00::53]:5353'] });
      expect(b.upstreams(asker(b, THIRD_ID))).toEqual({ kind: 'forward', servers: ['[fd00::53]:5353'] });
    });

    it('never forwards for a container only on internal networks, nor without any upstream', () => {
      const b = world();
      b.upsertEndpoint({ networkId: 'n3', endpointId: 'e-in', containerId: 'in'.repeat(6), name: 'inner', ipv4: '10.3.0.2' });
      b.setUpstreams({ host: ['127.0.0.53'] });
      expect(b.upstreams(asker(b, 'in'.repeat(6)))).toEqual({ kind: 'none' });
      b.setUpstreams({ host: [] });
      expect(b.upstreams(asker(b, WEB_ID))).toEqual({ kind: 'none' });
    });
  });

  describe('validation', () => {
    it.each([
      { name: 'bad address', e: { ipv4: '10.1.0.300' }, message: 'invalid IP address: 10.1.0.300' },
      { name: 'v6 in the v4 field', e: { ipv4: 'fd00::1' }, message: 'not an IPv4 address: fd00::1' },
      { name: 'bad alias', e: { aliases: ['bad name'] }, message: 'invalid DNS name: "bad name"' },
      { name: 'bad link alias', e: { links: { 'a..b': 'db' } }, message: 'invalid DNS name: "a..b"' },
      { name: 'bad upstream', e: { upstreams: ['dns.google'] }, message: 'invalid DNS server: dns.google' },
      { name: 'unknown network', e: { networkId: 'zz' }, message: 'network zz not found in DNS', kind: 'not-found' },
    ])('rejects $name and changes nothing', ({ e, message, kind }) => {
      const b = world();
      const g = b.generation;
      const bad = { networkId: 'n1', endpointId: 'e-db1', containerId: DB_ID, name: 'db', ipv4: '10.1.0.77', ...e };
      expect(() => b.upsertEndpoint(bad)).toThrow(expect.objectContaining({ message, ...(kind ? { kind } : {}) }));
      expect(b.generation).toBe(g);
      expect(b.lookup(asker(b, WEB_ID), 'db', 4)).toEqual({ kind: 'found', addresses: ['10.1.0.3'] });
    });

    it('rejects a bad TTL', () => {
      expect(() => new MemoryDnsBackend({ ttl: -1 })).toThrow('invalid DNS TTL: -1');
    });
  });
  describe('snapshot / load', () => {
    it('carries every answer through JSON into another backend, and replaces what it held', () => {
      const b = world();
      b.upsertRemote('n1', { id: 'r1', name: 'far', aliases: ['remote'], ipv4: '10.1.0.200' });
      b.setUpstreams({ daemon: ['192.0.2.53'], host: ['127.0.0.53'] });
      b.setHostGateway(['10.1.0.1']);
      b.upsertEndpoint({ networkId: 'n1', endpointId: 'e-x', containerId: OTHER_ID, name: 'other', ipv4: '10.1.0.9', extraHosts: { mine: ['192.0.2.9'] }, upstreams: ['192.0.2.1'] });
      const copy = new MemoryDnsBackend();
      copy.upsertNetwork({ id: 'stale', name: 'stale' });
      expect(copy.load(JSON.parse(JSON.stringify(b.snapshot())))).toEqual([]);
      expect(copy.hasNetwork('stale')).toBe(false);
      for (const [who, q, fam] of [[WEB_ID, 'database', 4], [DB_ID, 'store', 4], [DB_ID, 'web', 6], [WEB_ID, 'far', 4], [OTHER_ID, 'mine', 4], [WEB_ID, 'host.docker.internal', 4], [WEB_ID, 'x', 4]] as const) {
        expect(copy.lookup(asker(copy, who), q, fam)).toEqual(b.lookup(asker(b, who), q, fam));
      }
      expect(copy.reverse(asker(copy, DB_ID), '10.2.0.4')).toBe('other.back');
      expect(copy.upstreams(asker(copy, OTHER_ID))).toEqual({ kind: 'forward', servers: ['192.0.2.1'] });
      expect(copy.upstreams(asker(copy, WEB_ID))).toEqual({ kind: 'forward', servers: ['192.0.2.53'] });
      expect(copy.snapshot()).toEqual(JSON.parse(JSON.stringify(b.snapshot())));
    });

    it('skips entries that do not validate and says which, serving the rest', () => {
      const copy = new MemoryDnsBackend();
      const snap = world().snapshot();
      const bad = { ...snap, endpoints: [...snap.endpoints, { networkId: 'n1', endpointId: 'e-bad', containerId: 'z', name: 'bad name' }] };
      expect(copy.load(bad)).toEqual(['endpoint e-bad: invalid DNS name: "bad name"']);
      expect(copy.lookup(asker(copy, WEB_ID), 'db', 4)).toEqual({ kind: 'found', addresses: ['10.1.0.3'] });
    });

    it('tells onChange of every change', () => {
      let n = 0;
      const b = new MemoryDnsBackend({ onChange: () => n++ });
      b.upsertNetwork({ id: 'n1', name: 'front' });
      b.upsertEndpoint({ networkId: 'n1', endpointId: 'e', containerId: WEB_ID, name: 'web', ipv4: '10.1.0.2' });
      expect(n).toBe(2);
    });
  });
});
