import { describeAsRoot, nsExec, run, tempNetnsName } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { useNetd } from '../apps/netd/src/testing/netd-suite';
import { sandboxKit } from '../apps/netd/src/testing/sandbox-kit';
import { eventually } from '@app/common/testing';
import { startUplink, type Uplink } from './support/dns-uplink';

function docker(socket: string, ...args: string[]): string {
  const r = spawnSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** busybox nslookup inside a sandbox against the embedded DNS; output whether it succeeded or not. */
async function nslookup(ns: string, name: string, type?: string): Promise<string> {
  try {
    return await nsExec(ns, 'busybox', ['nslookup', ...(type ? [`-type=${type}`] : []), name, '127.0.0.11']);
  } catch (e) {
    return (e as Error).message;
  }
}

/** The addresses of the answer section as busybox prints them (after the server's own lines). */
const addresses = (out: string): string[] =>
  out.split('\n').slice(2).map((l) => /^Address:\s+([0-9a-f.:]+)$/.exec(l.trim())?.[1]).filter((a): a is string => !!a);

/** One A query over TCP to 127.0.0.11 from inside `ns`, by a tiny node client: "<ancount> <last rdata>". */
const TCP_CLIENT = `
const net = require('net');
const labels = process.argv[1].split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
const q = Buffer.concat([Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
const s = net.connect(53, '127.0.0.11', () => { const l = Buffer.alloc(2); l.writeUInt16BE(q.length); s.write(Buffer.concat([l, q])); });
let acc = Buffer.alloc(0);
s.on('data', (d) => {
  acc = Buffer.concat([acc, d]);
  if (acc.length >= 2 && acc.length >= acc.readUInt16BE(0) + 2) { const m = acc.subarray(2); console.log(m.readUInt16BE(6) + ' ' + [...m.subarray(m.length - 4)].join('.')); s.end(); }
});
s.on('error', (e) => { console.log('ERR ' + e.message); process.exit(1); });
setTimeout(() => { console.log('TIMEOUT'); process.exit(1); }, 3000).unref();
`;

describeAsRoot('the embedded DNS of a real netd, asked from sandboxes with busybox nslookup', () => {
  let up: Uplink | undefined;
  const names: string[] = [];
  const ids: Record<string, string> = {};
  const a = Math.floor(Math.random() * 100) + 120;
  const b = randomInt(0, 250);
  const n1 = `10.${a}.${b}`;
  const n2 = `10.${a + 1}.${b}`;
  const uplink = `10.${a + 2}.${b}`;

  const daemon = useNetd({
    daemonJson: { dns: [`${uplink}.2`] },
    beforeStart: async (host) => {
      up = await startUplink(host, uplink, 30, [{ kind: 'zone', records: { 'outside.example': ['192.0.2.80'], 'big.example': ['192.0.2.81'] }, truncateUdp: ['big.example'] }]);
    },
  });

  beforeAll(async () => {
    const kit = sandboxKit(daemon.netd.dataRoot);
    try {
      for (const role of ['web', 'db', 'cache', 'far']) {
        const name = tempNetnsName();
        names.push(name);
        ids[role] = (await kit.sandboxes.create(name)).id;
      }
    } finally {
      kit.close();
    }
    docker(daemon.netd.socket, 'network', 'create', '--subnet', `${n1}.0/24`, 'front');
    docker(daemon.netd.socket, 'network', 'create', '--subnet', `${n2}.0/24`, 'back');
    const [web, db, cache, far] = names;
    docker(daemon.netd.socket, 'network', 'connect', '--ip', `${n1}.10`, 'front', web);
    docker(daemon.netd.socket, 'network', 'connect', '--ip', `${n1}.20`, '--alias', 'database', '--alias', 'shared', 'front', db);
    docker(daemon.netd.socket, 'network', 'connect', '--ip', `${n1}.30`, '--alias', 'shared', 'front', cache);
    docker(daemon.netd.socket, 'network', 'connect', '--ip', `${n2}.40`, 'back', far);
    for (const n of names) await eventually(`the embedded DNS listening in ${n}`, async () => (await nsExec(n, 'ss', ['-lnu'])).includes('127.0.0.11:53'));
  });

  afterAll(async () => {
    for (const n of names) await run('ip', ['netns', 'del', n]).catch(() => undefined);
    await up?.dispose();
  });

  const web = (): string => names[0];

  it('serves 127.0.0.11:53 over UDP and TCP inside the sandbox, nothing in the host namespace', async () => {
    const sockets = await nsExec(web(), 'ss', ['-lnu']);
    expect(sockets).toContain('127.0.0.11:53');
    expect(await nsExec(web(), 'ss', ['-lnt'])).toContain('127.0.0.11:53');
    expect(await nsExec(daemon.ns.name, 'ss', ['-lnu'])).not.toContain(':53 ');
  });

  it('answers the sandbox name, aliases, name.network, the short id and PTR', async () => {
    const db = names[1];
    expect(addresses(await nslookup(web(), db))).toEqual([`${n1}.20`]);
    expect(addresses(await nslookup(web(), 'database'))).toEqual([`${n1}.20`]);
    expect(addresses(await nslookup(web(), `${db}.front`))).toEqual([`${n1}.20`]);
    expect(addresses(await nslookup(web(), ids.db.slice(0, 12)))).toEqual([`${n1}.20`]);
    expect(await nslookup(web(), `${n1}.20`)).toContain(`name = ${db}.front`);
  });

  it('answers AAAA of a v4-only name with an empty NOERROR, not NXDOMAIN', async () => {
    const out = await nslookup(web(), names[1], 'AAAA');
    expect(out).not.toContain('NXDOMAIN');
    expect(out).not.toContain('SERVFAIL');
    expect(addresses(out)).toEqual([]);
  });

  it('does not resolve a name on a network the asker does not share (NXDOMAIN from upstream)', async () => {
    expect(await nslookup(web(), names[3])).toContain(`can't find ${names[3]}: NXDOMAIN`);
    expect(up!.upstreams[0].asked.map((q) => q.name)).toContain(names[3]);
    expect(addresses(await nslookup(names[3], names[3]))).toEqual([`${n2}.40`]);
  });

  it('forwards other names to the daemon dns upstream', async () => {
    expect(addresses(await nslookup(web(), 'outside.example'))).toEqual(['192.0.2.80']);
  });

  it('asks the upstream again over TCP (from the host namespace) when its UDP answer is truncated', async () => {
    expect(addresses(await nslookup(web(), 'big.example'))).toEqual(['192.0.2.81']);
    expect(up!.upstreams[0].asked.filter((q) => q.name === 'big.example').map((q) => q.transport)).toEqual(expect.arrayContaining(['udp', 'tcp']));
  });

  it('shuffles the addresses of a shared alias across 40 lookups', async () => {
    const orders = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const got = addresses(await nslookup(web(), 'shared'));
      expect([...got].sort()).toEqual([`${n1}.20`, `${n1}.30`]);
      orders.add(got.join(','));
    }
    expect(orders.size).toBe(2);
  });

  it('answers over TCP', async () => {
    const out = await nsExec(web(), process.execPath, ['-e', TCP_CLIENT, 'database']);
    expect(out.trim()).toBe(`1 ${n1}.20`);
  });

  it('forgets a disconnected sandbox at once and stops serving it', async () => {
    const cache = names[2];
    docker(daemon.netd.socket, 'network', 'disconnect', 'front', cache);
    expect(addresses(await nslookup(web(), 'shared'))).toEqual([`${n1}.20`]);
    expect(await nslookup(web(), cache)).toContain(`can't find ${cache}: NXDOMAIN`);
    await eventually('the embedded DNS gone from the cache container', async () => !(await nsExec(cache, 'ss', ['-lnu'])).includes('127.0.0.11:53'));
  });

  it('serves the sandboxes while the daemon is stopped (the resolver process) and after it restarts', async () => {
    await daemon.netd.stop();
    expect(await nsExec(web(), 'ss', ['-lnu'])).toContain('127.0.0.11:53');
    expect(addresses(await nslookup(web(), 'database'))).toEqual([`${n1}.20`]);
    await daemon.restart();
    await eventually('the embedded DNS listening in web', async () => (await nsExec(web(), 'ss', ['-lnu'])).includes('127.0.0.11:53'));
    expect(addresses(await nslookup(web(), 'database'))).toEqual([`${n1}.20`]);
  });
});
