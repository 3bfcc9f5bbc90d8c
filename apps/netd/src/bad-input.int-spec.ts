import { createTempNetns, describeAsRoot, run, TempNetns, tempNetnsName } from '@app/kernel/testing';
import { join } from 'node:path';
import { api, NetdProcess, removeDir, startNetd } from './testing/netd-process';
import { sandboxKit } from './testing/sandbox-kit';
import { stateSnapshot } from './testing/state-snapshot';

interface BadRequest {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const WRONG_TYPES: unknown[] = [7, -1, 1.5, true, false, [], ['x'], {}, { a: 1 }, 'x'.repeat(300)];
const BAD_CIDRS = ['10.0.0.0/33', 'notacidr', '', '1.2.3.4', '::/129', '10.0.0.0/-1', '300.1.1.1/8', '10.0.0.0/8/8', '٣.٣.٣.٣/8',
  '10.0.0.0 /8', '0x0a.0.0.0/8', '010.0.0.0/8', 'fe80::1%eth0/64', '10.0.0.0/08x', '1.2.3.4/32', '10.1.2.3/31'];
// dockerd takes any name that is not blank (`a b`, `_x`, `-x` are names); netd also refuses control characters and overlong ones
const BAD_NAMES = ['', ' ', '\t', 'a\u0000b', 'x'.repeat(256), 'x'.repeat(100_000), 'bridge', 'host', 'none', 'a\nb', '\u007f'];

function generate(): BadRequest[] {
  const out: BadRequest[] = [];
  const create = (name: string, body: unknown) => out.push({ name: `create ${name}`, method: 'POST', path: '/v1.47/networks/create', body });
  for (const n of BAD_NAMES) create(`name ${JSON.stringify(n).slice(0, 30)}`, { Name: n });
  const fields = ['Name', 'Driver', 'Internal', 'Attachable', 'Ingress', 'EnableIPv6', 'EnableIPv4', 'IPAM', 'Options', 'Labels', 'Scope', 'CheckDuplicate', 'ConfigOnly'];
  for (const f of fields) {
    for (const v of WRONG_TYPES) {
      if (f === 'Name' && typeof v === 'string') continue;
      if (['Driver', 'Scope'].includes(f) && typeof v === 'string') continue;
      if (['Internal', 'Attachable', 'Ingress', 'EnableIPv6', 'EnableIPv4', 'CheckDuplicate', 'ConfigOnly'].includes(f) && typeof v === 'boolean') continue;
      if (['IPAM', 'Options', 'Labels'].includes(f) && (JSON.stringify(v) === '{}' || (f === 'IPAM' && typeof v === 'object' && !Array.isArray(v)))) continue;
      create(`${f}=${JSON.stringify(v).slice(0, 20)}`, { Name: 'bad-typed', [f]: v });
    }
  }
  for (const c of BAD_CIDRS) {
    create(`subnet ${c}`, { Name: 'bad-cidr', IPAM: { Config: [{ Subnet: c || 'x' }] } });
    create(`ip-range ${c}`, { Name: 'bad-range', IPAM: { Config: [{ Subnet: '10.220.0.0/16', IPRange: c || 'x' }] } });
    create(`gateway ${c}`, { Name: 'bad-gw', IPAM: { Config: [{ Subnet: '10.221.0.0/16', Gateway: c || 'x' }] } });
  }
  create('gateway outside', { Name: 'g', IPAM: { Config: [{ Subnet: '10.222.0.0/24', Gateway: '10.223.0.1' }] } });
  create('overlap with existing', { Name: 'o', IPAM: { Config: [{ Subnet: '10.230.0.0/25' }] } });
  create('duplicate name', { Name: 'bad-net' });
  create('unknown driver', { Name: 'u', Driver: 'nosuchdriver' });
  create('unknown IPAM driver', { Name: 'u', IPAM: { Driver: 'weird' } });
  create('unknown bridge option', { Name: 'u', Options: { 'com.docker.network.bridge.bogus': 'x' } });
  create('mtu out of range', { Name: 'u', Options: { 'com.docker.network.driver.mtu': '99999999' } });
  create('huge label', { Name: 'u', Labels: { a: 'x'.repeat(10_000) } });
  create('null body', null);
  create('array body', [{ Name: 'x' }]);
  create('string body', 'just a string');
  create('number body', 42);
  create('second host network', { Name: 'h2', Driver: 'host' });
  create('second null network', { Name: 'n2', Driver: 'null' });
  create('overlay without swarm', { Name: 'ov', Driver: 'overlay' });
  const valid = JSON.stringify({ Name: 'trunc-net', Labels: { k: 'v' }, IPAM: { Config: [{ Subnet: '10.240.0.0/24' }] } });
  for (let i = 1; i < valid.length; i += 2) {
    out.push({ name: `truncated body at ${i}`, method: 'POST', path: '/networks/create', body: valid.slice(0, i) });
  }
  out.push({ name: 'oversized body', method: 'POST', path: '/networks/create', body: JSON.stringify({ Name: 'big', Labels: { a: 'x'.repeat(2 * 1024 * 1024) } }) });
  out.push({ name: 'oversized garbage', method: 'POST', path: '/networks/create', body: 'x'.repeat(3 * 1024 * 1024) });
  out.push({ name: 'invalid utf-8', method: 'POST', path: '/networks/create', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) as unknown as string });
  out.push({ name: 'text/plain garbage', method: 'POST', path: '/networks/create', body: 'Name=x', headers: { 'content-type': 'text/plain' } });
  for (const [m, p] of [['PUT', '/networks'], ['PATCH', '/networks/bad-net'], ['DELETE', '/networks/create'], ['PUT', '/networks/create'],
    ['POST', '/networks'], ['POST', '/_ping'], ['DELETE', '/_ping'], ['POST', '/version'], ['PUT', '/info'], ['GET', '/networks/bad-net/connect'],
    ['DELETE', '/networks/bad-net/connect'], ['GET', '/networks/prune'], ['OPTIONS', '/networks'], ['POST', '/events'], ['GET', '/containers/json/../../etc/passwd']]) {
    out.push({ name: `wrong method ${m} ${p}`, method: m, path: p });
  }
  for (const p of ['/networks/..%2f..%2fetc%2fpasswd', '/networks/%2e%2e', '/networks/..', '/networks/%00', '/networks/' + 'a'.repeat(5000),
    '/networks/ネット', '/v1.99/networks', '/v0.1/networks', '/v1.23/networks', '/v9999999999999999.1/networks', '/v1.47/v1.47/networks']) {
    out.push({ name: `get ${p.slice(0, 40)}`, method: 'GET', path: encodeURI(decodeURI(p)).replace(/%25/g, '%') });
    out.push({ name: `delete ${p.slice(0, 40)}`, method: 'DELETE', path: encodeURI(decodeURI(p)).replace(/%25/g, '%') });
  }
  for (const f of ['{', '[]', '"x"', '{"bogus":["x"]}', '{"name":"x"}', '{"name":[1]}', '{"type":["weird"]}', '{"dangling":["maybe"]}', '{"driver":{"a":"yes"}}', 'null', '1']) {
    out.push({ name: `filters ${f}`, method: 'GET', path: `/networks?filters=${encodeURIComponent(f)}` });
    out.push({ name: `prune filters ${f}`, method: 'POST', path: `/networks/prune?filters=${encodeURIComponent(f === '{"name":"x"}' ? '{"until":["tomorrowish"]}' : f)}` });
  }
  out.push({ name: 'filters twice', method: 'GET', path: '/networks?filters=%7B%7D&filters=%7B%7D' });
  const connect = (name: string, body: unknown, net = 'bad-net') => out.push({ name: `connect ${name}`, method: 'POST', path: `/networks/${net}/connect`, body });
  for (const v of [...WRONG_TYPES, null, '']) connect(`Container=${JSON.stringify(v).slice(0, 20)}`, { Container: v });
  connect('missing container', {});
  connect('unknown container', { Container: 'no-such-sandbox' });
  connect('unknown network', { Container: 'x' }, 'no-such-net');
  connect('host network', { Container: 'SB' }, 'host');
  connect('none network', { Container: 'SB' }, 'none');
  for (const ip of ['10.230.0.1', '10.231.0.5', '::1', 'x', '10.230.0.0', '10.230.0.255', '999.1.1.1', '']) {
    connect(`static ip ${ip}`, { Container: 'SB', EndpointConfig: { IPAMConfig: { IPv4Address: ip || 7 } } });
  }
  for (const ec of [7, 'x', [], { Aliases: 'x' }, { Aliases: [' '] }, { MacAddress: 'zz:zz' }, { MacAddress: 7 }, { DriverOpts: [] }, { IPAMConfig: [] },
    { IPAMConfig: { LinkLocalIPs: 'x' } }, { GwPriority: 'high' }, { Links: [1] }]) {
    connect(`EndpointConfig ${JSON.stringify(ec).slice(0, 30)}`, { Container: 'SB', EndpointConfig: ec });
  }
  for (const v of [...WRONG_TYPES, null]) {
    out.push({ name: `disconnect Container=${JSON.stringify(v).slice(0, 20)}`, method: 'POST', path: '/networks/bad-net/disconnect', body: { Container: v } });
  }
  out.push({ name: 'disconnect not connected', method: 'POST', path: '/networks/bad-net/disconnect', body: { Container: 'SB' } });
  out.push({ name: 'disconnect Force string', method: 'POST', path: '/networks/bad-net/disconnect', body: { Container: 'SB', Force: 'yes' } });
  out.push({ name: 'delete predefined bridge', method: 'DELETE', path: '/networks/bridge' });
  out.push({ name: 'delete predefined host', method: 'DELETE', path: '/networks/host' });
  out.push({ name: 'delete unknown', method: 'DELETE', path: '/networks/nope' });
  out.push({ name: 'events bad since', method: 'GET', path: '/events?since=yesterday-ish' });
  out.push({ name: 'events bad filter', method: 'GET', path: '/events?filters=%7B%22color%22%3A%5B%22red%22%5D%7D' });
  return out;
}

describeAsRoot('bad input over the unix socket', () => {
  let host: TempNetns;
  let netd: NetdProcess;
  const sbName = tempNetnsName();

  beforeAll(async () => {
    host = await createTempNetns();
    netd = await startNetd({ hostNetns: host.ref.path });
    expect((await api(netd.socket, 'POST', '/networks/create', { Name: 'bad-net', IPAM: { Config: [{ Subnet: '10.230.0.0/24' }] } })).status).toBe(201);
    const kit = sandboxKit(netd.dataRoot);
    await kit.sandboxes.create(sbName).finally(() => kit.close());
  });

  afterAll(async () => {
    await netd?.kill9();
    await run('ip', ['netns', 'del', sbName]).catch(() => undefined);
    await host?.dispose();
    if (netd) removeDir(netd.dir);
  });

  const snapshot = () =>
    stateSnapshot({ dataRoot: netd.dataRoot, execRoot: join(netd.dir, 'run'), hostNetns: host.ref.path, sandboxes: [`/run/netns/${sbName}`] });

  it('answers each of 300+ malformed requests with a 4xx and a message, changing nothing', async () => {
    const requests = generate().map((r) => (JSON.stringify(r.body ?? '').includes('"SB"') ? { ...r, body: JSON.parse(JSON.stringify(r.body).replace(/"SB"/g, JSON.stringify(sbName))) } : r));
    expect(requests.length).toBeGreaterThanOrEqual(300);
    const before = await snapshot();
    const failures: string[] = [];
    const byStatus: Record<number, number> = {};
    for (const [i, r] of requests.entries()) {
      const res = await api(netd.socket, r.method, r.path, r.body, r.headers).catch((e: Error) => ({ status: 0, body: undefined, text: e.message }));
      byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      const message = (res.body as { message?: unknown } | undefined)?.message;
      if (res.status < 400 || res.status >= 500 || typeof message !== 'string' || message.length === 0) {
        failures.push(`${r.name}: ${res.status} ${res.text.slice(0, 200)}`);
      }
      if (i % 50 === 0) expect((await api(netd.socket, 'GET', '/_ping')).status).toBe(200);
    }
    console.log(`[bad-input] ${requests.length} requests, statuses ${JSON.stringify(byStatus)}`);
    expect(failures).toEqual([]);
    expect((await api(netd.socket, 'GET', '/_ping')).status).toBe(200);
    expect(await snapshot()).toBe(before);
  }, 120_000);
});
