import * as dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import * as packet from 'dns-packet';
import { DnsListener, DnsServer } from './dns-server';
import { MemoryDnsBackend } from './memory-dns-backend';
import { Forwarder } from './forwarder';
import { NoopDnsBackend } from './testing/noop-dns-backend';
import { FakeUpstream } from './testing/fake-upstream';
import { Target, ask, datas, query, rawTcp, rawUdp } from './testing/dns-client';

const WEB = 'a'.repeat(64);
const DB = 'b'.repeat(64);

describe(DnsServer.name, () => {
  let backend: MemoryDnsBackend;
  let server: DnsServer;
  let udp: Target;
  let tcp: Target;
  let upstream: FakeUpstream;
  const errors: unknown[] = [];

  beforeEach(async () => {
    backend = new MemoryDnsBackend({ ttl: 30 });
    backend.upsertNetwork({ id: 'n1', name: 'front' });
    backend.upsertNetwork({ id: 'n2', name: 'back' });
    backend.upsertEndpoint({ networkId: 'n1', endpointId: 'e1', containerId: WEB, name: 'web', ipv4: '10.1.0.2', links: { database: 'db' } });
    backend.upsertEndpoint({ networkId: 'n1', endpointId: 'e2', containerId: DB, name: 'db', aliases: ['svc'], ipv4: '10.1.0.3', ipv6: 'fd00::3' });
    backend.upsertEndpoint({ networkId: 'n2', endpointId: 'e3', containerId: 'c'.repeat(64), name: 'hidden', ipv4: '10.2.0.2' });
    upstream = await new FakeUpstream({ kind: 'rcode', rcode: 'NXDOMAIN' }).start();
    backend.setUpstreams({ host: [upstream.server] });
    server = new DnsServer(backend, { forwarder: new Forwarder({ timeoutMs: 300 }), onError: (e) => errors.push(e) });
    const u: DnsListener = await server.listenUdp({ address: '127.0.0.1', port: 0, scope: { sandbox: WEB } });
    const t: DnsListener = await server.listenTcp({ address: '127.0.0.1', port: 0, scope: { sandbox: WEB } });
    udp = { address: '127.0.0.1', port: u.port };
    tcp = { address: '127.0.0.1', port: t.port };
  });

  afterEach(async () => {
    await server.close();
    await upstream.stop();
    expect(errors).toEqual([]);
  });

  it.each([false, true])('answers A, AAAA, PTR and link aliases (tcp=%s)', async (viaTcp) => {
    const t = viaTcp ? tcp : udp;
    const a = await ask(t, 'db', 'A', viaTcp);
    expect([a.rcode, datas(a), (a.answers![0] as { ttl?: number }).ttl]).toEqual(['NOERROR', ['10.1.0.3'], 30]);
    expect(datas(await ask(t, 'DB.Front', 'A', viaTcp))).toEqual(['10.1.0.3']);
    expect(datas(await ask(t, 'db', 'AAAA', viaTcp))).toEqual(['fd00::3']);
    expect(datas(await ask(t, 'database', 'A', viaTcp))).toEqual(['10.1.0.3']);
    expect(datas(await ask(t, '3.0.1.10.in-addr.arpa', 'PTR', viaTcp))).toEqual(['db.front']);
  });

  it('counts queries by transport, answers by source and rcode, drops, and the latency of forwards', async () => {
    await ask(udp, 'db', 'A');
    await ask(tcp, 'web', 'A', true);
    await ask(udp, 'elsewhere.example', 'A');
    // a response is never answered
    const response = Buffer.alloc(12);
    response[2] = 0x80;
    expect(await rawUdp(udp, response, 200)).toBeUndefined();
    const s = server.resolver.stats.snapshot();
    expect(s.queries).toEqual({ udp: 3, tcp: 1 });
    expect(s.answers).toEqual({ local: { NOERROR: 2 }, forward: { NXDOMAIN: 1 } });
    expect(s.dropped).toBe(1);
    // only the forward is timed
    expect(s.latency.count).toBe(1);
    expect(s.latency.counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(s.latency.sum).toBeGreaterThan(0);
  });

  it('gives an empty NOERROR for AAAA of a v4-only name and for MX of a known name', async () => {
    for (const [name, type] of [['web', 'AAAA'], ['db', 'MX'], ['db', 'TXT']] as const) {
      const r = await ask(udp, name, type);
      expect([name, type, r.rcode, r.answers]).toEqual([name, type, 'NOERROR', []]);
    }
  });

  it('forwards a name on another network, and relays the upstream’s NXDOMAIN', async () => {
    const r = await ask(udp, 'hidden', 'A');
    expect(r.rcode).toBe('NXDOMAIN');
    expect(upstream.asked).toEqual([{ transport: 'udp', name: 'hidden' }]);
  });

  it('answers SERVFAIL without forwarding when no upstream is known', async () => {
    backend.setUpstreams({ host: [] });
    expect((await ask(udp, 'example.com', 'A')).rcode).toBe('SERVFAIL');
    expect(upstream.asked).toEqual([]);
  });

  it('refuses a query from a source it cannot place', async () => {
    const l = await server.listenUdp({ address: '127.0.0.1', port: 0, scope: { network: 'n1' } });
    const r = packet.decode((await rawUdp({ address: '127.0.0.1', port: l.port }, query('db')))!);
    expect(r.rcode).toBe('REFUSED');
  });

  it('shuffles several addresses per answer (40 lookups see more than one order)', async () => {
    for (let i = 4; i <= 6; i++) {
      backend.upsertEndpoint({ networkId: 'n1', endpointId: `x${i}`, containerId: `${i}`.repeat(64), name: `x${i}`, aliases: ['svc'], ipv4: `10.1.0.${i}` });
    }
    const orders = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const got = datas(await ask(udp, 'svc', 'A'));
      expect([...got].sort()).toEqual(['10.1.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6']);
      orders.add(got.join(' '));
    }
    expect(orders.size).toBeGreaterThan(5);
  });

  it('serves a change at once even for a cached answer', async () => {
    expect(datas(await ask(udp, 'db', 'A'))).toEqual(['10.1.0.3']);
    expect(datas(await ask(udp, 'db', 'A'))).toEqual(['10.1.0.3']);
    backend.removeEndpoint('n1', 'e2');
    expect((await ask(udp, 'db', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('keeps the question’s case and id on a cached answer', async () => {
    await ask(udp, 'db', 'A');
    const r = packet.decode((await rawUdp(udp, query('dB', 'A', 4242)))!);
    expect([r.id, r.questions![0].name, datas(r)]).toEqual([4242, 'dB', ['10.1.0.3']]);
  });

  it('truncates a UDP answer over 512 bytes and gives it whole over TCP', async () => {
    for (let i = 10; i < 50; i++) {
      backend.upsertEndpoint({ networkId: 'n1', endpointId: `m${i}`, containerId: `m${i}`, name: `m${i}`, aliases: ['many'], ipv4: `10.1.1.${i}` });
    }
    const u = await ask(udp, 'many', 'A');
    expect([(u.flags! & packet.TRUNCATED_RESPONSE) !== 0, u.answers]).toEqual([true, []]);
    expect(datas(await ask(tcp, 'many', 'A', true))).toHaveLength(40);
  });

  it('answers EDNS queries with an OPT record', async () => {
    const q = packet.encode({ id: 7, type: 'query', questions: [{ name: 'db', type: 'A' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as never] });
    const r = packet.decode((await rawUdp(udp, q))!);
    expect([datas(r), r.additionals!.map((a) => a.type)]).toEqual([['10.1.0.3'], ['OPT']]);
  });

  describe('malformed input', () => {
    const header = (qd: number, an = 0): Buffer => {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(0xbeef, 0);
      h.writeUInt16BE(0x0100, 2);
      h.writeUInt16BE(qd, 4);
      h.writeUInt16BE(an, 6);
      return h;
    };
    const q = (name: Buffer): Buffer => Buffer.concat([header(1), name, Buffer.from([0, 1, 0, 1])]);
    it.each([
      { name: 'truncated header', msg: Buffer.from([1, 2, 3]), want: 'drop' },
      { name: 'truncated question', msg: Buffer.concat([header(1), Buffer.from([3, 0x61])]), want: 'FORMERR' },
      { name: 'compression loop', msg: q(Buffer.from([0xc0, 12])), want: 'FORMERR' },
      { name: 'forward-pointing pointer', msg: q(Buffer.from([1, 0x61, 0xc0, 20])), want: 'FORMERR' },
      { name: 'oversized label (64 bytes)', msg: q(Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0])])), want: 'FORMERR' },
      { name: 'name over 255 bytes', msg: q(Buffer.concat([...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x61)])), Buffer.from([0])])), want: 'FORMERR' },
      { name: '1,000 questions', msg: Buffer.concat([header(1000), ...Array.from({ length: 1000 }, () => Buffer.from([1, 0x61, 0, 0, 1, 0, 1]))]), want: 'FORMERR' },
      { name: 'a response sent as a query', msg: Buffer.concat([header(1).fill(0x81, 2, 3), Buffer.from([1, 0x61, 0, 0, 1, 0, 1])]), want: 'drop' },
      { name: 'answers in a query', msg: Buffer.concat([header(1, 1), Buffer.from([1, 0x61, 0, 0, 1, 0, 1])]), want: 'FORMERR' },
    ])('$name → $want', async ({ msg, want }) => {
      const r = await rawUdp(udp, msg, 300);
      if (want === 'drop') expect(r).toBeUndefined();
      else expect([packet.decode(r!).rcode, r!.readUInt16BE(0)]).toEqual([want, 0xbeef]);
    });

    it('survives 2,000 random and mutated packets over UDP and TCP, then still answers', async () => {
      const valid = query('db');
      const sock = dgram.createSocket('udp4');
      for (let i = 0; i < 2000; i++) {
        let m: Buffer;
        if (i % 2 === 0) m = randomBytes(1 + (i % 600));
        else {
          m = Buffer.from(valid);
          for (let k = 0; k < 1 + (i % 4); k++) m[2 + Math.floor(Math.random() * (m.length - 2))] = Math.floor(Math.random() * 256);
          m = m.subarray(0, Math.max(1, m.length - (i % 7)));
        }
        sock.send(m, udp.port, udp.address);
        if (i % 100 === 0) await rawTcp(tcp, m, 200);
      }
      sock.close();
      await new Promise((r) => setTimeout(r, 200));
      expect(datas(await ask(udp, 'db', 'A'))).toEqual(['10.1.0.3']);
      expect(datas(await ask(tcp, 'db', 'A', true))).toEqual(['10.1.0.3']);
    });

    it('closes a TCP stream that carries garbage instead of a query', async () => {
      expect(await rawTcp(tcp, Buffer.from([1, 2, 3]))).toBeUndefined();
    });
  });

  it('uses a subclassed backend through the contract alone', async () => {
    class OneName extends NoopDnsBackend {
      override asker() { return { sandbox: 's', key: 's\u0000' }; }
      override lookup() { return { kind: 'found' as const, addresses: ['192.0.2.1'] }; }
    }
    const s = new DnsServer(new OneName());
    const l = await s.listenUdp({ address: '127.0.0.1', port: 0, scope: { sandbox: 's' } });
    try {
      expect(datas(await ask({ address: '127.0.0.1', port: l.port }, 'anything', 'A'))).toEqual(['192.0.2.1']);
    } finally {
      await s.close();
    }
  });
});
