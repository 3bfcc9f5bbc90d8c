import { randomBytes } from 'node:crypto';
import { DaemonError } from '../client/errors';
import type { NetdApi } from '../client/netd-api';

/**
 * What netctl assumes about any NetdApi: run against FakeNetdClient in unit tests and against
 * NetdClient + a real netd in e2e/cli.e2e-spec.ts, so the fake cannot drift from the daemon.
 * `subnetBase` must be free, e.g. '10.251' → 10.251.x.0/24.
 */
export function describeNetdApiContract(name: string, makeClient: () => NetdApi | Promise<NetdApi>, subnetBase = '10.251'): void {
  describe(`NetdApi contract: ${name}`, () => {
    let client: NetdApi;
    const made: string[] = [];
    const unique = () => `netctl-c-${randomBytes(3).toString('hex')}`;

    beforeEach(async () => {
      client = await makeClient();
    });

    afterEach(async () => {
      for (const n of made.splice(0)) await client.removeNetwork(n).catch(() => undefined);
    });

    it('lists the predefined networks', async () => {
      const names = (await client.listNetworks()).map((n) => n.Name);
      expect(names).toEqual(expect.arrayContaining(['bridge', 'host', 'none']));
    });

    it('creates a network that list, filters and inspect then show', async () => {
      const n = unique();
      const res = await client.createNetwork({ Name: n, Driver: 'bridge', IPAM: { Driver: 'default', Config: [{ Subnet: `${subnetBase}.7.0/24`, Gateway: `${subnetBase}.7.1` }] }, Labels: { k: 'v' } });
      made.push(n);
      expect(res.Id).toMatch(/^[0-9a-f]{64}$/);
      const listed = await client.listNetworks({ name: [n] });
      expect(listed.map((x) => x.Name)).toEqual([n]);
      expect(await client.listNetworks({ name: [n], driver: ['host'] })).toEqual([]);
      const { network, raw } = await client.inspectNetworkWithRaw(res.Id.slice(0, 12));
      expect(network).toMatchObject({ Name: n, Id: res.Id, Driver: 'bridge', Labels: { k: 'v' }, Containers: {} });
      expect(network.IPAM.Config).toEqual([expect.objectContaining({ Subnet: `${subnetBase}.7.0/24`, Gateway: `${subnetBase}.7.1` })]);
      expect(JSON.parse(raw)).toEqual(network);
    });

    it('refuses a duplicate name with 409', async () => {
      const n = unique();
      await client.createNetwork({ Name: n });
      made.push(n);
      await expect(client.createNetwork({ Name: n })).rejects.toMatchObject({ status: 409, kind: 'conflict', message: `network with name ${n} already exists` });
    });

    it('answers 404 with docker\'s message for a missing network', async () => {
      const n = unique();
      await expect(client.inspectNetworkWithRaw(n)).rejects.toBeInstanceOf(DaemonError);
      await expect(client.removeNetwork(n)).rejects.toMatchObject({ status: 404, message: `network ${n} not found` });
    });

    it('refuses to remove a predefined network with 403', async () => {
      await expect(client.removeNetwork('bridge')).rejects.toMatchObject({ status: 403, message: 'bridge is a pre-defined network and cannot be removed' });
    });

    it('creates a volume idempotently, lists, inspects and removes it', async () => {
      const n = unique();
      const v = await client.createVolume({ Name: n, Driver: 'local', DriverOpts: {}, Labels: { k: 'v' } });
      expect(v).toMatchObject({ Name: n, Driver: 'local', Labels: { k: 'v' }, Options: null, Scope: 'local', Mountpoint: expect.stringMatching(new RegExp(`/volumes/${n}/_data$`)) });
      expect(await client.createVolume({ Name: n, Labels: { other: '1' } })).toEqual(v);
      expect((await client.listVolumes({ name: [n] })).Volumes).toEqual([v]);
      expect((await client.listVolumes({ name: [n], label: ['k=other'] })).Volumes).toEqual([]);
      const { volume, raw } = await client.inspectVolumeWithRaw(n);
      expect(volume).toEqual(v);
      expect(JSON.parse(raw)).toEqual(v);
      await client.removeVolume(n);
      await expect(client.inspectVolumeWithRaw(n)).rejects.toMatchObject({ status: 404, message: `get ${n}: no such volume` });
      await expect(client.removeVolume(n)).rejects.toMatchObject({ status: 404, message: `get ${n}: no such volume` });
      await expect(client.removeVolume(n, { force: true })).resolves.toBeUndefined();
    });

    it('prunes anonymous volumes only, unless all', async () => {
      const named = unique();
      const anon = unique();
      await client.createVolume({ Name: named, Labels: { 'netctl-c': named } });
      await client.createVolume({ Name: anon, Labels: { 'netctl-c': named, 'com.docker.volume.anonymous': '' } });
      expect((await client.pruneVolumes({ label: [`netctl-c=${named}`] })).VolumesDeleted).toEqual([anon]);
      expect((await client.pruneVolumes({ label: [`netctl-c=${named}`], all: ['true'] })).VolumesDeleted).toEqual([named]);
    });

    it('removes a network, and prune removes unused custom ones only', async () => {
      const a = unique();
      const b = unique();
      await client.createNetwork({ Name: a });
      await client.createNetwork({ Name: b, Labels: { prune: 'me' } });
      made.push(a, b);
      await client.removeNetwork(a);
      expect((await client.listNetworks({ name: [a] })).length).toBe(0);
      const report = await client.pruneNetworks({ label: ['prune=me'] });
      expect(report.NetworksDeleted).toEqual([b]);
      expect((await client.listNetworks()).map((n) => n.Name)).toEqual(expect.arrayContaining(['bridge', 'host', 'none']));
    });
  });
}
