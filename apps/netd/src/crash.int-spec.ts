import { createTempNetns, describeAsRoot, ipJson, nsExec, run, TempNetns, tempNetnsName } from '@app/kernel/testing';
import { api, NetdProcess, removeDir, startNetd } from './testing/netd-process';
import { sandboxKit } from './testing/sandbox-kit';
import { prng } from '@app/common/testing';

interface Link {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

const SANDBOXES = 200;
const SEEDS = [11, 23, 37, 41];

describeAsRoot('crash safety: kill -9 during 200 concurrent connects/disconnects', () => {
  let host: TempNetns;
  let netd: NetdProcess;
  const names: string[] = [];

  beforeAll(async () => {
    host = await createTempNetns();
    netd = await startNetd({ hostNetns: host.ref.path });
    const kit = sandboxKit(netd.dataRoot);
    try {
      for (let i = 0; i < SANDBOXES; i++) {
        const name = tempNetnsName();
        names.push(name);
        await kit.sandboxes.create(name);
      }
    } finally {
      kit.close();
    }
  }, 120_000);

  afterAll(async () => {
    await netd?.kill9();
    for (const n of names) await run('ip', ['netns', 'del', n]).catch(() => undefined);
    await host?.dispose();
    if (netd) removeDir(netd.dir);
  }, 120_000);

  async function checkAgreement(label: string): Promise<{ endpoints: number; veths: number; rules: number }> {
    const inspect = (await api(netd.socket, 'GET', '/networks/crash')).body;
    const containers = Object.values(inspect.Containers as Record<string, { Name: string; IPv4Address: string }>);
    const addrs = containers.map((c) => c.IPv4Address);
    expect(new Set(addrs).size).toBe(addrs.length);
    const byName = new Map(containers.map((c) => [c.Name, c.IPv4Address]));
    for (const n of names) {
      const links = await ipJson<Link[]>(n, ['addr', 'show']);
      const eth0 = links.find((l) => l.ifname === 'eth0');
      const want = byName.get(n);
      const got = eth0?.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
      if (want) expect({ n, got }).toEqual({ n, got: [want] });
      else expect({ n, links: links.map((l) => l.ifname) }).toEqual({ n, links: ['lo'] });
    }
    const hostLinks = await ipJson<Link[]>(host.name, ['-d', 'link', 'show']);
    const veths = hostLinks.filter((l) => l.linkinfo?.info_kind === 'veth');
    expect(veths.length).toBe(containers.length);
    const bridge = `br-${inspect.Id.slice(0, 12)}`;
    for (const v of veths) expect(v.master).toBe(bridge);
    const subnet = inspect.IPAM.Config[0].Subnet as string;
    // network + gateway + broadcast are reserved on top of the endpoints
    expect(inspect.Status.IPAM.Subnets[subnet].IPsInUse).toBe(containers.length + 3);
    const ruleset = await nsExec(host.name, 'nft', ['list', 'ruleset']);
    const existing = new Set(hostLinks.map((l) => l.ifname));
    const mentioned = [...new Set(ruleset.match(/\b(?:br-[0-9a-f]{12}|veth[0-9a-f]{7,11}|netd0)\b/g) ?? [])];
    expect(mentioned.filter((m) => !existing.has(m))).toEqual([]);
    const rules = ruleset.split('\n').filter((l) => /^\s+(?!chain|type|policy|table|set|map|elements|\})\S/.test(l)).length;
    const { readdirSync } = await import('node:fs');
    const present = new Set(readdirSync('/run/netns'));
    // the daemon makes no namespaces of its own: exactly the test's sandboxes and host exist
    expect(names.filter((n) => !present.has(n))).toEqual([]);
    const namespaces = names.filter((n) => present.has(n)).length + (present.has(host.name) ? 1 : 0);
    console.log(`[crash ${label}] endpoints=${containers.length} distinctAddresses=${new Set(addrs).size} hostVeths=${veths.length} nftRules=${rules} namespaces=${namespaces}`);
    return { endpoints: containers.length, veths: veths.length, rules };
  }

  it('repairs every state it is killed in', async () => {
    const created = await api(netd.socket, 'POST', '/networks/create', { Name: 'crash', IPAM: { Config: [{ Subnet: '10.210.0.0/23' }] } });
    expect(created.status).toBe(201);
    const half = names.slice(0, SANDBOXES / 2);
    const res = await Promise.all(half.map((n) => api(netd.socket, 'POST', '/networks/crash/connect', { Container: n })));
    expect(res.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    await checkAgreement('start');

    for (const seed of SEEDS) {
      const rand = prng(seed);
      const connected = new Set(Object.values((await api(netd.socket, 'GET', '/networks/crash')).body.Containers).map((c) => (c as { Name: string }).Name));
      const order = [...names].sort(() => rand() - 0.5);
      const delay = Math.floor(rand() * 1500);
      const started = Date.now();
      const requests = order.map((n) =>
        api(netd.socket, 'POST', `/networks/crash/${connected.has(n) ? 'disconnect' : 'connect'}`, { Container: n }).then(
          (r) => r.status,
          () => 0,
        ),
      );
      await new Promise((r) => setTimeout(r, delay));
      await netd.kill9();
      const statuses = await Promise.all(requests);
      const ok = statuses.filter((s) => s === 200).length;
      const cut = statuses.filter((s) => s === 0).length;
      const other = statuses.filter((s) => s !== 200 && s !== 0);
      expect(other).toEqual([]);
      console.log(`[crash seed=${seed}] killed after ${Date.now() - started} ms: ${ok} answered 200, ${cut} cut off`);
      netd = await startNetd({ hostNetns: host.ref.path, dataRoot: netd.dataRoot, dir: netd.dir });
      const fix = /"msg":"state reconciled"/.test(netd.logs()) ? JSON.parse(netd.logs().split('\n').find((l) => l.includes('state reconciled'))!) : {};
      console.log(`[crash seed=${seed}] reconciled: undone=${fix.endpointsUndone} released=${fix.endpointsReleased} replayed=${fix.endpointsReplayed} kernelObjectsRemoved=${fix.kernelObjectsRemoved}`);
      await checkAgreement(`seed=${seed}`);
    }

    const left = Object.values((await api(netd.socket, 'GET', '/networks/crash')).body.Containers).map((c) => (c as { Name: string }).Name);
    for (const n of left) expect((await api(netd.socket, 'POST', '/networks/crash/disconnect', { Container: n })).status).toBe(200);
    expect((await api(netd.socket, 'DELETE', '/networks/crash')).status).toBe(204);
    const hostLinks = await ipJson<Link[]>(host.name, ['-d', 'link', 'show']);
    expect(hostLinks.filter((l) => l.linkinfo?.info_kind === 'veth' || /^br-/.test(l.ifname))).toEqual([]);
    const ruleset = await nsExec(host.name, 'nft', ['list', 'ruleset']);
    expect(ruleset).not.toMatch(/br-[0-9a-f]{12}|veth/);
    console.log(`[crash end] after removing everything: links=${hostLinks.map((l) => l.ifname).join(',')}`);
  }, 300_000);
});
