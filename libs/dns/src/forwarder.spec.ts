import * as packet from 'dns-packet';
import { Forwarder } from './forwarder';
import { FakeUpstream, UpstreamBehaviour } from './testing/fake-upstream';
import { datas, query } from './testing/dns-client';
import { questionEnd } from './wire';

describe(Forwarder.name, () => {
  const started: FakeUpstream[] = [];
  const upstream = async (b: UpstreamBehaviour): Promise<FakeUpstream> => {
    const u = await new FakeUpstream(b).start();
    started.push(u);
    return u;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((u) => u.stop()));
  });

  const forward = async (f: Forwarder, servers: string[], name = 'example.test', viaTcp = false): Promise<packet.DecodedPacket> => {
    const q = query(name, 'A', 0x1234);
    const r = await f.forward(q, questionEnd(q), servers, viaTcp);
    const d = packet.decode(r);
    expect(d.id).toBe(0x1234);
    return d;
  };

  describe('forward', () => {
    it.each([
      { name: 'SERVFAIL', first: { kind: 'rcode', rcode: 'SERVFAIL' } },
      { name: 'REFUSED', first: { kind: 'rcode', rcode: 'REFUSED' } },
      { name: 'a timeout', first: { kind: 'drop' } },
    ] as const)('fails over to the next upstream on $name', async ({ first }) => {
      const a = await upstream(first);
      const b = await upstream({ kind: 'answer', addresses: ['192.0.2.7'] });
      const r = await forward(new Forwarder({ timeoutMs: 200 }), [a.server, b.server]);
      expect([r.rcode, datas(r)]).toEqual(['NOERROR', ['192.0.2.7']]);
      expect([a.asked.length, b.asked.length]).toEqual([1, 1]);
    });

    it('fails over at once from an upstream with nothing listening (ICMP port unreachable), not after the timeout', async () => {
      const closed = await new FakeUpstream({ kind: 'drop' }).start();
      const port = closed.server;
      await closed.stop(); // the port is now closed: the kernel answers with ICMP port unreachable
      const b = await upstream({ kind: 'answer', addresses: ['192.0.2.7'] });
      const t0 = Date.now();
      const r = await forward(new Forwarder({ timeoutMs: 5000 }), [port, b.server]);
      expect([r.rcode, datas(r)]).toEqual(['NOERROR', ['192.0.2.7']]);
      expect(Date.now() - t0).toBeLessThan(1000);
    });

    it('opens its UDP and TCP sockets inside the enter window (the namespace netd programs)', async () => {
      const u = await upstream({ kind: 'zone', records: { 'big.test': ['192.0.2.9'] }, truncateUdp: ['big.test'] });
      let depth = 0;
      const opened: number[] = [];
      const enter = <T>(fn: () => T): T => {
        depth++;
        try {
          const r = fn();
          opened.push(depth);
          return r;
        } finally {
          depth--;
        }
      };
      const f = new Forwarder({ timeoutMs: 500, enter });
      const r = await forward(f, [u.server], 'big.test');
      expect(datas(r)).toEqual(['192.0.2.9']);
      expect(u.asked.map((q) => q.transport)).toEqual(['udp', 'tcp']);
      expect(opened).toEqual([1, 1]);
    });

    it('fails over when the namespace cannot be entered', async () => {
      const enter = (): never => {
        throw new Error('no such namespace');
      };
      const f = new Forwarder({ timeoutMs: 200, enter });
      expect((await forward(f, ['127.0.0.1:9'])).rcode).toBe('SERVFAIL');
    });

    it('relays NXDOMAIN without failing over (it is an answer)', async () => {
      const a = await upstream({ kind: 'rcode', rcode: 'NXDOMAIN' });
      const b = await upstream({ kind: 'answer', addresses: ['192.0.2.7'] });
      expect((await forward(new Forwarder(), [a.server, b.server])).rcode).toBe('NXDOMAIN');
      expect(b.asked).toEqual([]);
    });

    it('answers SERVFAIL when every upstream fails, asking at most 3', async () => {
      const ups = await Promise.all([1, 2, 3, 4].map(() => upstream({ kind: 'rcode', rcode: 'SERVFAIL' })));
      const r = await forward(new Forwarder({ timeoutMs: 200 }), ups.map((u) => u.server));
      expect(r.rcode).toBe('SERVFAIL');
      expect(ups.map((u) => u.asked.length)).toEqual([1, 1, 1, 0]);
    });

    it('retries a truncated answer over TCP', async () => {
      const a = await upstream({ kind: 'answer', addresses: ['192.0.2.1', '192.0.2.2'], truncateUdp: true });
      const r = await forward(new Forwarder(), [a.server]);
      expect([(r.flags ?? 0) & packet.TRUNCATED_RESPONSE, datas(r)]).toEqual([0, ['192.0.2.1', '192.0.2.2']]);
      expect(a.asked.map((x) => x.transport)).toEqual(['udp', 'tcp']);
    });

    it('asks over TCP when the client did', async () => {
      const a = await upstream({ kind: 'answer', addresses: ['192.0.2.1'] });
      expect(datas(await forward(new Forwarder(), [a.server], 'x.test', true))).toEqual(['192.0.2.1']);
      expect(a.asked.map((x) => x.transport)).toEqual(['tcp']);
    });

    it('refuses beyond the in-flight cap, and forwards again once below it', async () => {
      const slow = await upstream({ kind: 'answer', addresses: ['192.0.2.9'], delayMs: 150 });
      const f = new Forwarder({ maxInFlight: 2 });
      const first = [forward(f, [slow.server]), forward(f, [slow.server])];
      expect(f.inFlight).toBe(2);
      expect((await forward(f, [slow.server])).rcode).toBe('REFUSED');
      expect((await Promise.all(first)).map(datas)).toEqual([['192.0.2.9'], ['192.0.2.9']]);
      expect(f.inFlight).toBe(0);
      expect(datas(await forward(f, [slow.server]))).toEqual(['192.0.2.9']);
      expect(slow.asked).toHaveLength(3);
    });

    it('ignores a reply with another id (a spoof) and fails over after the timeout', async () => {
      const a = await upstream({ kind: 'answer', addresses: ['198.51.100.66'], wrongId: true });
      const f = new Forwarder({ timeoutMs: 200 });
      const started = Date.now();
      const r = await forward(f, [a.server]);
      expect(r.rcode).toBe('SERVFAIL');
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });
  });
});
