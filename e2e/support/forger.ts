import { join } from 'node:path';
import type { SegmentHost } from './l3-segment';
import { assertTestAddresses, runInNetns, type DhtAddress } from './dht-testnet';

/**
 * A member that holds the cluster key but plays foul: it joins with a key pair of its own (as any
 * holder of the join token can), then sends every member records under ANOTHER node's id — an
 * endpoint that would point that node's name at the forger, and a tombstone of that node's node
 * record (which would strip its vote) — with a valid admission for the victim's id (the cluster key
 * makes that easy) and signed with the forger's own key (the victim's is not to be had). It runs the
 * built libs (dist) in its own process inside a namespace of the segment, its DHT bootstrapped only
 * from the token's addresses, which the caller's `isTestAddress` must accept.
 */
const SCRIPT = `
const o = require(process.env.OVERLAY);
const { IpAddr, MacAddr } = require(process.env.COMMON);
const e = process.env;
(async () => {
  const tok = o.parseToken(e.TOKEN);
  const identity = o.createNodeIdentity();
  const bootstrap = tok.bootstrap;
  const d = new o.HyperswarmDiscovery({ clusterKey: tok.key, identity, node: { name: 'forger', advertiseAddr: IpAddr.parse(e.HOST), dhtPort: 7946 },
    bootstrap, host: e.HOST, port: 7946, peers: tok.peers, tickMs: 500 });
  await d.start();
  const want = Number(e.MEMBERS);
  const t0 = Date.now();
  while (d.links.size < want) {
    if (Date.now() - t0 > 30000) throw new Error('forger reached ' + d.links.size + ' of ' + want + ' members');
    await new Promise((r) => setTimeout(r, 100));
  }
  const victim = e.VICTIM;
  const sign = o.recordSigner(identity.seed);
  const admission = o.admissionOf(tok.key, o.nodeIdBytes(victim));
  const ip = IpAddr.parse(e.FORGED_IP);
  const forge = (body, tombstone) => {
    const r = { owner: victim, key: o.keyOf(body), version: 1n << 40n, tombstone, body, admission };
    return { ...r, signature: sign(r) };
  };
  const endpoint = forge({ type: 'endpoint', endpoint: { networkId: e.NETWORK, endpointId: 'f'.repeat(64), name: e.FORGED_NAME, aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse(e.HOST) } }, false);
  const node = forge({ type: 'node', node: { name: 'hijacked', advertiseAddr: IpAddr.parse(e.HOST), dhtPort: 7946 } }, true);
  const frame = o.encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: [endpoint, node].map(o.encodeRecord) } });
  for (const link of d.links.values()) link.send(frame);
  process.stdout.write(JSON.stringify({ nodeId: d.nodeId, bootstrap: d.dhtConfig.bootstrap, sentTo: d.links.size }) + '\\n');
  process.on('SIGTERM', async () => { await d.stop().catch(() => {}); process.exit(0); });
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

export interface Forger {
  readonly nodeId: string;
  stop(): Promise<void>;
}

export async function startForger(
  host: SegmentHost,
  p: { token: string; victim: string; networkId: string; forgedIp: string; forgedName: string; members: number },
  isTestAddress: (address: string) => boolean,
): Promise<Forger> {
  const dist = join(__dirname, '..', '..', 'dist', 'libs');
  const proc = await runInNetns(host.ns.ref.path, SCRIPT, {
    PATH: process.env.PATH,
    OVERLAY: join(dist, 'overlay', 'src', 'index.js'),
    COMMON: join(dist, 'common', 'src', 'index.js'),
    NODE_PATH: join(__dirname, '..', '..', 'node_modules'),
    HOST: host.ipv4,
    TOKEN: p.token,
    VICTIM: p.victim,
    NETWORK: p.networkId,
    FORGED_IP: p.forgedIp,
    FORGED_NAME: p.forgedName,
    MEMBERS: String(p.members),
  }, 'forger', 40_000);
  const stop = proc.stop;
  try {
    const r = JSON.parse(proc.firstLine) as { nodeId: string; bootstrap: DhtAddress[]; sentTo: number };
    // the hard rule: the forger's DHT knew only the segment's addresses, never public bootstrap nodes
    if (r.bootstrap.length === 0) throw new Error('forger: empty bootstrap list');
    assertTestAddresses('bootstrap of the forger', r.bootstrap, isTestAddress);
    return { nodeId: r.nodeId, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
