import { createTempNetns, describeAsRoot, ipJson, normalizeNftJson, nsExec, run, type TempNetns } from '@app/kernel/testing';
import { api, type NetdProcess, removeDir, startNetd } from './testing/netd-process';

interface Link { ifname: string; flags: string[]; linkinfo?: { info_kind?: string }; addr_info?: { local: string; prefixlen: number }[] }

const NETWORKS = 60;

describeAsRoot('restart with many networks', () => {
  let host: TempNetns;
  let netd: NetdProcess | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    host = await createTempNetns();
  });
  afterAll(async () => {
    await netd?.kill9();
    await host?.dispose();
    if (dir) removeDir(dir);
  }, 60_000);

  const bridges = async () =>
    (await ipJson<Link[]>(host.name, ['-d', 'addr', 'show']))
      .filter((l) => l.linkinfo?.info_kind === 'bridge')
      .map((l) => `${l.ifname} ${l.flags.includes('UP') ? 'up' : 'down'} ${(l.addr_info ?? []).filter((a) => !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}`).join(',')}`)
      .sort();
  const table = async () => normalizeNftJson(await nsExec(host.name, 'nft', ['-j', 'list', 'table', 'inet', 'netd']));
  const replayed = (p: NetdProcess) => {
    const line = p.logs().split('\n').find((l) => l.includes('"state reconciled"'));
    return line && (JSON.parse(line) as { networksReplayed: number }).networksReplayed;
  };

  it('re-adopts every network, also after the kernel lost some of them, and goes on creating and deleting', async () => {
    netd = await startNetd({ hostNetns: host.ref.path });
    dir = netd.dir;
    const ids: string[] = [];
    for (let i = 0; i < NETWORKS; i++) {
      const options = i % 4 === 0 ? { 'com.docker.network.bridge.enable_icc': 'false' } : {};
      const res = await api(netd.socket, 'POST', '/networks/create', { Name: `r${i}`, Internal: i % 5 === 0, Options: options, IPAM: { Config: [{ Subnet: `10.77.${i}.0/24` }] } });
      expect(res.status).toBe(201);
      ids.push(res.body.Id);
    }
    for (let i = 0; i < NETWORKS; i += 3) expect((await api(netd.socket, 'DELETE', `/networks/r${i}`)).status).toBe(204);
    const before = { bridges: await bridges(), table: await table() };
    expect(before.bridges).toHaveLength(NETWORKS - NETWORKS / 3 + 1); // and the default bridge

    // A plain restart.
    expect(await netd.stop()).toBe(0);
    netd = await startNetd({ hostNetns: host.ref.path, dir, dataRoot: `${dir}/data` });
    expect(replayed(netd)).toBe(NETWORKS - NETWORKS / 3 + 3);
    expect(await bridges()).toEqual(before.bridges);
    expect(await table()).toEqual(before.table);

    // A restart after the kernel lost bridges, an address and the whole table (as after a reboot).
    await netd.stop();
    await run('ip', ['-n', host.name, 'link', 'del', `br-${ids[1].slice(0, 12)}`]);
    await run('ip', ['-n', host.name, 'link', 'del', `br-${ids[2].slice(0, 12)}`]);
    await run('ip', ['-n', host.name, 'addr', 'flush', 'dev', `br-${ids[4].slice(0, 12)}`]);
    await nsExec(host.name, 'nft', ['delete', 'table', 'inet', 'netd']);
    netd = await startNetd({ hostNetns: host.ref.path, dir, dataRoot: `${dir}/data` });
    expect(await bridges()).toEqual(before.bridges);
    expect(await table()).toEqual(before.table);

    // Business as usual: a deleted network's subnet is free again, a taken one is refused.
    expect((await api(netd.socket, 'POST', '/networks/create', { Name: 'again', IPAM: { Config: [{ Subnet: '10.77.0.0/24' }] } })).status).toBe(201);
    expect(await api(netd.socket, 'POST', '/networks/create', { Name: 'taken', IPAM: { Config: [{ Subnet: '10.77.1.0/24' }] } })).toMatchObject({ status: 409 });
    expect((await api(netd.socket, 'DELETE', '/networks/r1')).status).toBe(204);
    expect((await api(netd.socket, 'DELETE', '/networks/again')).status).toBe(204);
    expect(await bridges()).toHaveLength(before.bridges.length - 1);
  }, 120_000);
});
