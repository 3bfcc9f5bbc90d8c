import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDaemon, startFakeDaemon } from '../testing/fake-daemon';

const RFC3339_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('volumes API (fake kernel)', () => {
  let d: FakeDaemon;
  beforeEach(async () => {
    d = await startFakeDaemon();
  });
  afterEach(async () => {
    await d.close();
  });
  const root = () => join(d.dataRoot, 'volumes');

  it('answers GET /volumes with an empty list (what docker-compose asks on every up and down)', async () => {
    expect(await d.request('GET', '/v1.41/volumes')).toMatchObject({ status: 200, body: { Volumes: [], Warnings: null } });
  });

  it('creates (idempotently), inspects, lists and removes a volume in docker\'s shapes', async () => {
    const created = await d.request('POST', '/v1.41/volumes/create', { Name: 'refvol', Labels: { a: 'b' } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body)).toEqual(['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    expect(created.body).toEqual({
      CreatedAt: expect.stringMatching(RFC3339_SECONDS), Driver: 'local', Labels: { a: 'b' }, Mountpoint: join(root(), 'refvol/_data'), Name: 'refvol', Options: null, Scope: 'local',
    });
    expect(lstatSync(join(root(), 'refvol/_data')).isDirectory()).toBe(true);
    const again = await d.request('POST', '/volumes/create', { Name: 'refvol', Labels: { other: '1' } });
    expect(again).toMatchObject({ status: 201, body: created.body });
    expect(await d.request('GET', '/volumes/refvol')).toMatchObject({ status: 200, body: created.body });
    expect((await d.request('GET', '/volumes')).body).toEqual({ Volumes: [created.body], Warnings: null });
    expect((await d.request('DELETE', '/volumes/refvol')).status).toBe(204);
    expect(existsSync(join(root(), 'refvol'))).toBe(false);
    expect(await d.request('GET', '/volumes/refvol')).toMatchObject({ status: 404, body: { message: 'get refvol: no such volume' } });
    expect(await d.request('DELETE', '/volumes/refvol')).toMatchObject({ status: 404, body: { message: 'get refvol: no such volume' } });
    expect((await d.request('DELETE', '/volumes/refvol?force=1')).status).toBe(204);
  });

  it('names a volume created without a name with 64 hex digits; the docker CLI\'s empty maps stay {}', async () => {
    const res = await d.request('POST', '/volumes/create', { Driver: 'local', DriverOpts: {}, Labels: {}, Name: '' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ Name: expect.stringMatching(/^[0-9a-f]{64}$/), Labels: {}, Options: null });
  });

  it('keeps volumes across a restart', async () => {
    await d.request('POST', '/volumes/create', { Name: 'keep', Labels: { k: 'v' } });
    const before = (await d.request('GET', '/volumes/keep')).body;
    d = await d.restart();
    expect(await d.request('GET', '/volumes/keep')).toMatchObject({ status: 200, body: before });
  });

  it('filters the list', async () => {
    await d.request('POST', '/volumes/create', { Name: 'web-data', Labels: { tier: 'front' } });
    await d.request('POST', '/volumes/create', { Name: 'db-data', Labels: { tier: 'back' } });
    d.rt.volumes.volumes.reference('db-data', 'c'.repeat(64));
    const names = async (f: unknown) => (await d.request('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify(f))}`)).body.Volumes.map((v: { Name: string }) => v.Name).sort();
    expect(await names({ name: ['web'] })).toEqual(['web-data']);
    expect(await names({ label: { 'tier=back': true } })).toEqual(['db-data']);
    expect(await names({ label: ['tier'] })).toEqual(['db-data', 'web-data']);
    expect(await names({ dangling: ['true'] })).toEqual(['web-data']);
    expect(await names({ dangling: ['0'] })).toEqual(['db-data']);
    expect(await names({ driver: ['local'] })).toEqual(['db-data', 'web-data']);
  });

  it.each([
    { name: 'unknown filter', q: '{"until":["1h"]}', msg: "invalid filter 'until'" },
    { name: 'bad dangling', q: '{"dangling":["yes"]}', msg: "invalid filter 'dangling=[yes]'" },
    { name: 'bad JSON', q: '{nope', msg: 'invalid filters: {nope' },
  ])('refuses a $name with 400', async ({ q, msg }) => {
    expect(await d.request('GET', `/volumes?filters=${encodeURIComponent(q)}`)).toMatchObject({ status: 400, body: { message: msg } });
  });

  it('refuses to remove a volume in use (409 listing the containers), with or without force', async () => {
    await d.request('POST', '/volumes/create', { Name: 'used' });
    const id = 'a'.repeat(64);
    d.rt.volumes.volumes.reference('used', id);
    const want = { status: 409, body: { message: `remove used: volume is in use - [${id}]` } };
    expect(await d.request('DELETE', '/volumes/used')).toMatchObject(want);
    expect(await d.request('DELETE', '/volumes/used?force=true')).toMatchObject(want);
    expect(existsSync(join(root(), 'used/_data'))).toBe(true);
  });

  describe('prune', () => {
    beforeEach(async () => {
      await d.request('POST', '/volumes/create', { Name: 'named' });
      await d.request('POST', '/volumes/create', { Name: 'anon', Labels: { 'com.docker.volume.anonymous': '' } });
      await d.request('POST', '/volumes/create', { Name: 'kept', Labels: { keep: '1' } });
      writeFileSync(join(root(), 'named/_data/file'), Buffer.alloc(4096));
    });

    it('API 1.41: removes every unused volume and reports the bytes it freed', async () => {
      const res = await d.request('POST', '/v1.41/volumes/prune?filters=' + encodeURIComponent('{"label!":["keep"]}'));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['VolumesDeleted', 'SpaceReclaimed']);
      expect({ ...res.body, VolumesDeleted: res.body.VolumesDeleted.sort() }).toEqual({ VolumesDeleted: ['anon', 'named'], SpaceReclaimed: 4096 });
      expect(readdirSync(root())).toEqual(['kept']);
    });

    it('API 1.41 refuses the all filter as dockerd 20.10 does', async () => {
      expect(await d.request('POST', '/v1.41/volumes/prune?filters=' + encodeURIComponent('{"all":["true"]}'))).toMatchObject({
        status: 400, body: { message: "Invalid filter 'all'" },
      });
    });

    it('API 1.42 and later (and unversioned): only anonymous volumes unless all=true', async () => {
      expect((await d.request('POST', '/v1.42/volumes/prune')).body).toEqual({ VolumesDeleted: ['anon'], SpaceReclaimed: 0 });
      expect((await d.request('POST', '/volumes/prune')).body).toEqual({ VolumesDeleted: [], SpaceReclaimed: 0 });
      const all = await d.request('POST', '/v1.47/volumes/prune?filters=' + encodeURIComponent('{"all":{"true":true},"label":["keep=1"]}'));
      expect(all.body).toEqual({ VolumesDeleted: ['kept'], SpaceReclaimed: 0 });
    });

    it('refuses bad prune filters with 400 and removes nothing', async () => {
      expect(await d.request('POST', '/volumes/prune?filters=' + encodeURIComponent('{"dangling":["true"]}'))).toMatchObject({ status: 400, body: { message: "invalid filter 'dangling'" } });
      expect(await d.request('POST', '/volumes/prune?filters=' + encodeURIComponent('{"all":["sure"]}'))).toMatchObject({ status: 400, body: { message: "invalid filter 'all=[sure]'" } });
      expect(readdirSync(root()).sort()).toEqual(['anon', 'kept', 'named']);
    });
  });

  it('publishes create and destroy events of Type volume', async () => {
    const seen: string[] = [];
    const sub = d.rt.events.subscribe(undefined, (e) => seen.push(`${e.Type} ${e.Action} ${e.Actor.ID} ${JSON.stringify(e.Actor.Attributes)}`));
    await d.request('POST', '/volumes/create', { Name: 'ev' });
    await d.request('DELETE', '/volumes/ev');
    sub.unsubscribe();
    expect(seen).toEqual(['volume create ev {"driver":"local"}', 'volume destroy ev {"driver":"local"}']);
  });

  describe('hostile input', () => {
    const invalid = (n: string) =>
      `create ${n}: "${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
    it.each([
      { name: 'slash', n: 'bad/name' },
      { name: 'dot-dot', n: '..' },
      { name: 'traversal', n: '../../etc' },
      { name: 'NUL', n: 'ab\u0000cd' },
      { name: 'absolute path', n: '/etc' },
    ])('refuses a name with $name (400) and makes nothing', async ({ n }) => {
      expect(await d.request('POST', '/volumes/create', { Name: n })).toMatchObject({ status: 400, body: { message: invalid(n) } });
      expect(existsSync(root()) ? readdirSync(root()) : []).toEqual([]);
    });

    const WRONG_TYPES: unknown[] = [7, -1, 1.5, true, false, [], ['x'], { a: 1 }, { a: null }, { a: ['x'] }];
    const BAD_NAMES = ['-x', '.x', '_x', '..', 'a b', 'ネットワーク', 'é', '😀', '\u202ename', 'a\u200bb', '%2e%2e', 'x'.repeat(256),
      'x'.repeat(100_000), 'a;rm -rf /', '$(reboot)', 'a\nb', 'a\\b', 'C:\\x', '~root'];
    it('answers every malformed create with a 4xx and makes nothing', async () => {
      const bodies: unknown[] = BAD_NAMES.map((Name) => ({ Name }));
      for (const f of ['Name', 'Driver', 'DriverOpts', 'Labels']) {
        for (const v of WRONG_TYPES) {
          if (f === 'Name' || f === 'Driver' ? typeof v === 'string' : false) continue;
          bodies.push({ Name: 'typed', [f]: v });
        }
      }
      for (const body of bodies) {
        const res = await d.request('POST', '/volumes/create', body);
        expect({ body, status: res.status >= 400 && res.status < 500, message: typeof res.body?.message }).toEqual({ body, status: true, message: 'string' });
      }
      expect((await d.request('GET', '/volumes')).body.Volumes).toEqual([]);
      expect(existsSync(root()) ? readdirSync(root()) : []).toEqual([]);
    });

    it('never reaches the filesystem for names given in the path', async () => {
      await d.request('POST', '/volumes/create', { Name: 'keep' });
      for (const name of ['..', '..%2F..%2Fetc', '%2e%2e', 'a%00b', '..%2Fvolumes%2Fkeep']) {
        const got = await d.request('GET', `/volumes/${name}`);
        expect({ name, status: got.status }).toEqual({ name, status: 404 });
        const del = await d.request('DELETE', `/volumes/${name}?force=1`);
        expect({ name, refused: [204, 404].includes(del.status) }).toEqual({ name, refused: true });
      }
      expect(readdirSync(root())).toEqual(['keep']);
      expect(readdirSync(join(root(), 'keep'))).toEqual(['_data']);
    });

    it('refuses a 300-character name with 400', async () => {
      const res = await d.request('POST', '/volumes/create', { Name: 'x'.repeat(300) });
      expect(res).toMatchObject({ status: 400, body: { message: expect.stringContaining('longer than 255') } });
    });

    it.each([
      { name: 'a number label', body: { Name: 'vv', Labels: { a: 1 } }, msg: 'Labels must be an object of strings' },
      { name: 'labels as an array', body: { Name: 'vv', Labels: ['a'] }, msg: 'Labels must be an object of strings' },
      { name: 'a name that is not a string', body: { Name: 7 }, msg: 'Name must be a string' },
      { name: 'driver options of the wrong type', body: { Name: 'vv', DriverOpts: 'o=bind' }, msg: 'DriverOpts must be an object of strings' },
      { name: 'a body that is not an object', body: '[]', msg: 'request body must be a JSON object' },
    ])('refuses $name with 400', async ({ body, msg }) => {
      const res = await d.request('POST', '/volumes/create', body);
      expect(res.status).toBe(400);
      expect(res.body.message).toContain(msg);
      expect((await d.request('GET', '/volumes')).body.Volumes).toEqual([]);
    });

    it('keeps constructor, toString and hasOwnProperty labels as data, through SQLite and a restart', async () => {
      const labels = { constructor: 'c', toString: 't', hasOwnProperty: 'h' };
      expect((await d.request('POST', '/volumes/create', { Name: 'proto', Labels: labels })).status).toBe(201);
      d = await d.restart();
      expect((await d.request('GET', '/volumes/proto')).body.Labels).toEqual(labels);
      const f = await d.request('GET', '/volumes?filters=' + encodeURIComponent('{"label":["constructor=c","toString"]}'));
      expect(f.body.Volumes.map((v: { Name: string }) => v.Name)).toEqual(['proto']);
      expect((await d.request('GET', '/volumes?filters=' + encodeURIComponent('{"label":["valueOf"]}'))).body.Volumes).toEqual([]);
    });

    it('refuses a __proto__ label (400) and pollutes nothing', async () => {
      const res = await d.request('POST', '/volumes/create', '{"Name":"p2","Labels":{"__proto__":{"polluted":"yes"}}}');
      expect(res.status).toBe(400);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((await d.request('GET', '/volumes')).body.Volumes).toEqual([]);
    });

    it('refuses another driver (404) and the local mount options it cannot honour (501)', async () => {
      expect(await d.request('POST', '/volumes/create', { Name: 'nfs1', Driver: 'nfs' })).toMatchObject({
        status: 404, body: { message: 'create nfs1: error looking up volume plugin nfs: plugin "nfs" not found' },
      });
      expect(await d.request('POST', '/volumes/create', { Name: 'b1', DriverOpts: { type: 'none', o: 'bind', device: '/etc' } })).toMatchObject({
        status: 501, body: { message: expect.stringContaining('"device"') },
      });
      expect(await d.request('POST', '/volumes/create', { Name: 'b2', DriverOpts: { colour: 'blue' } })).toMatchObject({
        status: 400, body: { message: 'create b2: invalid option key: "colour"' },
      });
      expect((await d.request('GET', '/volumes')).body.Volumes).toEqual([]);
    });

    it('refuses a symlink pre-planted at <data-root>/volumes/<name> without touching its target', async () => {
      const outside = join(d.dataRoot, 'outside');
      mkdirSync(outside);
      mkdirSync(root(), { recursive: true });
      symlinkSync(outside, join(root(), 'planted'));
      const res = await d.request('POST', '/volumes/create', { Name: 'planted' });
      expect(res.status).toBe(409);
      expect(readdirSync(outside)).toEqual([]);
      expect((await d.request('GET', '/volumes')).body.Volumes).toEqual([]);
      rmSync(join(root(), 'planted'));
    });
  });
});
