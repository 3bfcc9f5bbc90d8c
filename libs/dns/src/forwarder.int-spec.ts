import * as packet from 'dns-packet';
import { withNetns } from '@app/kernel';
import { createTempNetns, describeAsRoot, type TempNetns } from '@app/kernel/testing';
import { Forwarder } from './forwarder';
import { query } from './testing/dns-client';
import { questionEnd } from './wire';

describeAsRoot('Forwarder in a network namespace (real kernel)', () => {
  let ns: TempNetns | undefined;
  afterEach(async () => {
    await ns?.dispose();
    ns = undefined;
  });

  // A namespace with only lo: every upstream is unroutable, so connect() fails with ENETUNREACH.
  it('answers SERVFAIL at once when no upstream is routable, and the process lives on', async () => {
    ns = await createTempNetns();
    const ref = ns.ref;
    const f = new Forwarder({ timeoutMs: 3000, enter: (fn) => withNetns(ref, fn) });
    const q = query('example.test', 'A', 0x4242);
    const t0 = Date.now();
    const r = packet.decode(await f.forward(q, questionEnd(q), ['192.0.2.53', '[2001:db8::53]:53'], false));
    expect([r.id, r.rcode]).toEqual([0x4242, 'SERVFAIL']);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
