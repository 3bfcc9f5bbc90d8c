import { FakeRuntime } from '@app/container/testing';
import { packLayer } from '@app/image';
import { writeImage } from '@app/image/image-writer';
import { file, makeImage } from '@app/image/testing/fixtures';
import { FakeFirewall, FakeNetlink, FakeNetns, FakeSysctl } from '@app/kernel/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULTS, type NetdConfig } from '../config/netd-config';
import { composeServices, type Services } from '../composition-root';
import { createApp } from '../http/create-app';
import { reconcile } from '../lifecycle/reconciler';

describe('GET /system/df and POST /images/prune', () => {
  let dataRoot: string;
  let rt: Services;
  let app: NestFastifyApplication;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON answers
  const call = async (method: 'GET' | 'POST', url: string): Promise<{ status: number; body: any }> => {
    const r = await app.getHttpAdapter().getInstance().inject({ method, url });
    return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
  };
  let used: string;
  let unusedTagged: string;
  let dangling: string;
  let labelled: string;

  beforeEach(async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'netd-df-'));
    const netlink = new FakeNetlink();
    const hostNs = netlink.addNamespace('/run/netns/fake-host');
    const kernel = { netlink, netns: new FakeNetns(netlink), firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink), containerRuntime: new FakeRuntime() };
    const config: NetdConfig = { ...DEFAULTS, dataRoot, execRoot: join(dataRoot, 'run'), hostNetns: hostNs.path, seedBusybox: false };
    rt = composeServices(config, kernel, pino({ level: 'silent' }));
    await reconcile(rt);
    const store = rt.images.images.store;
    const base = await makeImage(store, [[file('bin/sleep', '#!')]], { cmd: ['sleep', '1000'] });
    await store.setTag('docker.io/library/busybox:latest', base.manifestDigest);
    used = base.configDigest;
    const other = await makeImage(store, [[file('bin/sleep', '#!')], [file('etc/other', 'x'.repeat(100))]]);
    await store.setTag('docker.io/library/other:1', other.manifestDigest);
    unusedTagged = other.configDigest;
    dangling = (await makeImage(store, [[file('d', 'dangling'.repeat(50))]])).configDigest;
    labelled = (await writeImage(store, { layers: [{ packed: await packLayer([file('l', 'labelled')]) }], config: { Labels: { keep: 'yes' } }, created: '2026-01-01T00:00:00Z' })).configDigest;
    app = await createApp(rt);
  });

  afterEach(async () => {
    rt.containers.detach();
    await app.close();
    rt.db.close();
    rmSync(dataRoot, { recursive: true, force: true });
  });

  it('reports images with their users and shared bytes, containers with their writable layer, volumes with size and users', async () => {
    const c = await rt.containers.create('web', { Image: 'busybox' });
    mkdirSync(join(dataRoot, 'containers', c.Id, 'diff', 'tmp'), { recursive: true });
    writeFileSync(join(dataRoot, 'containers', c.Id, 'diff', 'tmp', 'f'), 'x'.repeat(1234));
    await rt.volumes.create({ name: 'data' });
    writeFileSync(join(rt.volumes.volumes.mountpoint('data'), 'v'), 'y'.repeat(99));
    const { status, body } = await call('GET', '/v1.47/system/df');
    expect(status).toBe(200);
    const byId = new Map((body.Images as { Id: string }[]).map((i) => [i.Id, i]));
    expect(byId.get(used)).toMatchObject({ RepoTags: ['busybox:latest'], Containers: 1 });
    expect(byId.get(unusedTagged)).toMatchObject({ Containers: 0 });
    expect((byId.get(used) as unknown as { SharedSize: number }).SharedSize).toBeGreaterThan(0);
    const sizes = (body.Images as { Size: number; SharedSize: number }[]).reduce((n, i) => n + i.Size, 0);
    expect(body.LayersSize).toBe(sizes - (byId.get(used) as unknown as { SharedSize: number }).SharedSize);
    expect(body.Containers).toEqual([expect.objectContaining({ Id: c.Id, Names: ['/web'], SizeRw: 1234 })]);
    expect(body.Containers[0].SizeRootFs).toBe(1234 + (byId.get(used) as unknown as { Size: number }).Size);
    expect(body.Volumes).toEqual([expect.objectContaining({ Name: 'data', UsageData: { Size: 99, RefCount: 0 } })]);
    expect(body.BuildCache).toEqual([]);
  });

  it('computes only the kinds asked with type (repeatable), and refuses an unknown one', async () => {
    const c = await rt.containers.create('web', { Image: 'busybox' });
    await rt.volumes.create({ name: 'data' });
    const some = await call('GET', '/v1.47/system/df?type=container&type=volume');
    expect(some.status).toBe(200);
    expect(some.body).toMatchObject({ LayersSize: 0, Images: null, BuildCache: null, Volumes: [expect.objectContaining({ Name: 'data' })] });
    expect(some.body.Containers).toEqual([expect.objectContaining({ Id: c.Id })]);
    const images = await call('GET', '/v1.47/system/df?type=image');
    expect(images.body).toMatchObject({ Containers: null, Volumes: null, BuildCache: null });
    expect(images.body.Images.length).toBeGreaterThan(0);
    expect(await call('GET', '/v1.47/system/df?type=bogus')).toMatchObject({ status: 400, body: { message: 'unknown object type: bogus' } });
  });

  it('prunes dangling unused images by default, and every unused one with dangling=false, never one in use', async () => {
    await rt.containers.create('web', { Image: 'busybox' });
    const first = await call('POST', '/images/prune');
    expect(first.status).toBe(200);
    expect(first.body.ImagesDeleted).toEqual(expect.arrayContaining([{ Deleted: dangling }, { Deleted: labelled }]));
    expect(first.body.SpaceReclaimed).toBeGreaterThan(0);
    expect((await rt.images.list()).map((i) => i.id).sort()).toEqual([used, unusedTagged].sort());
    const all = await call('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'] }))}`);
    expect(all.body.ImagesDeleted.slice(0, 2)).toEqual([{ Untagged: 'other:1' }, { Deleted: unusedTagged }]);
    expect((await rt.images.list()).map((i) => i.id)).toEqual([used]);
    expect(await call('POST', '/images/prune')).toEqual({ status: 200, body: { ImagesDeleted: null, SpaceReclaimed: 0 } });
  });

  it('honours label filters and refuses bad filters without removing anything', async () => {
    const keep = await call('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ 'label!': ['keep'] }))}`);
    expect(keep.body.ImagesDeleted).toEqual(expect.arrayContaining([{ Deleted: dangling }]));
    expect((await rt.images.list()).map((i) => i.id)).toContain(labelled);
    for (const [filters, message] of [
      [{ dangling: ['maybe'] }, "invalid filter 'dangling=maybe'"],
      [{ until: ['yesterday'] }, "invalid filter 'until=yesterday'"],
      [{ reference: ['x'] }, "invalid filter 'reference'"],
    ] as const) {
      const before = (await rt.images.list()).length;
      expect(await call('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify(filters))}`)).toEqual({ status: 400, body: { message } });
      expect((await rt.images.list()).length).toBe(before);
    }
  });
});
