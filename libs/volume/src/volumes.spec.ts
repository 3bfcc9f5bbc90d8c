import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryVolumeStore } from './memory-volume-store';
import { checkVolumeName, randomVolumeName } from './volume-name';
import { ANONYMOUS_LABEL, parseVolumeFilters, LIST_FILTERS } from './volume-filters';
import { Volumes } from './volumes';

describe('checkVolumeName', () => {
  const invalid = (n: string) =>
    `create ${n}: "${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`;
  it.each(['ab', 'a.b-c_d', 'A1', 'x'.repeat(255)])('accepts %s', (n) => expect(() => checkVolumeName(n)).not.toThrow());
  it.each([
    { name: 'slash', n: 'bad/name' },
    { name: 'dot-dot', n: '..' },
    { name: 'leading dot', n: '.hidden' },
    { name: 'one character', n: 'a' },
    { name: 'NUL', n: 'ab\0c' },
    { name: 'leading dash', n: '-ab' },
    { name: 'space', n: 'a b' },
    { name: 'empty', n: '' },
    { name: 'newline at the end', n: 'abc\n' },
  ])('refuses $name with docker\'s message', ({ n }) => {
    expect(() => checkVolumeName(n)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: invalid(n) }));
  });
  it('refuses a name longer than one directory entry can be', () => {
    expect(() => checkVolumeName('x'.repeat(300))).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringContaining('longer than 255') }));
  });
  it('makes 64-hex random names', () => expect(randomVolumeName()).toMatch(/^[0-9a-f]{64}$/));
});

describe(Volumes.name, () => {
  let dir: string;
  let root: string;
  let vols: Volumes;
  let users: Record<string, string[]>;
  let events: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netd-vol-'));
    root = join(dir, 'volumes');
    users = {};
    events = [];
    vols = new Volumes({
      store: new MemoryVolumeStore(), root, usedBy: (n) => users[n] ?? [], onEvent: (a, n, attrs) => events.push(`${a} ${n} ${attrs.driver}`),
      now: () => new Date('2026-12-06T08:35:49.123Z'),
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('create', () => {
    it('makes <root>/<name>/_data with docker\'s modes and reports the volume', async () => {
      const v = await vols.create({ name: 'refvol', labels: { a: 'b' } });
      expect(v).toEqual({
        name: 'refvol', driver: 'local', labels: { a: 'b' }, options: null, createdAt: '2026-12-06T08:35:49Z', scope: 'local', mountpoint: join(root, 'refvol/_data'),
      });
      expect(statSync(root).mode & 0o7777).toBe(0o701);
      expect(statSync(join(root, 'refvol')).mode & 0o7777).toBe(0o701);
      expect(statSync(join(root, 'refvol/_data')).mode & 0o7777).toBe(0o755);
      expect(events).toEqual(['create refvol local']);
    });

    it('is idempotent: the same name returns the first volume, data kept', async () => {
      await vols.create({ name: 'v1', labels: { a: '1' } });
      writeFileSync(join(root, 'v1/_data/f'), 'x');
      const again = await vols.create({ name: 'v1', labels: { b: '2' } });
      expect(again.labels).toEqual({ a: '1' });
      expect(readFileSync(join(root, 'v1/_data/f'), 'utf8')).toBe('x');
    });

    it('gives a volume without a name a 64-hex one', async () => {
      expect((await vols.create({})).name).toMatch(/^[0-9a-f]{64}$/);
    });

    it('keeps Labels null when none were sent and {} when an empty map was', async () => {
      expect((await vols.create({ name: 'n1' })).labels).toBeNull();
      expect((await vols.create({ name: 'n2', labels: {} })).labels).toEqual({});
    });

    it('refuses another driver with docker\'s plugin message (404)', async () => {
      await expect(vols.create({ name: 'vx', driver: 'nfs' })).rejects.toMatchObject({
        kind: 'not-found', message: 'create vx: error looking up volume plugin nfs: plugin "nfs" not found',
      });
      expect(existsSync(root)).toBe(false);
    });

    it('refuses an unknown option (400) and the mount options it cannot honour (501), making nothing', async () => {
      await expect(vols.create({ name: 'vx', options: { foo: 'x' } })).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'create vx: invalid option key: "foo"' });
      await expect(vols.create({ name: 'vx', options: { type: 'tmpfs', device: 'tmpfs' } })).rejects.toMatchObject({
        kind: 'not-implemented', message: expect.stringContaining('"device"'),
      });
      expect(existsSync(root)).toBe(false);
      expect(vols.list()).toEqual([]);
    });

    it('keeps __proto__ and constructor labels as plain data', async () => {
      const labels = JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":"c"}') as Record<string, string>;
      const v = await vols.create({ name: 'proto', labels });
      expect(Object.getPrototypeOf(v.labels)).toBe(Object.prototype);
      expect(Object.keys(v.labels!)).toEqual(['__proto__', 'constructor']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('refuses a symlink planted at <root>/<name> and writes nothing outside', async () => {
      const outside = join(dir, 'outside');
      mkdirSync(outside);
      mkdirSync(root, { mode: 0o701 });
      symlinkSync(outside, join(root, 'evil'));
      await expect(vols.create({ name: 'evil' })).rejects.toMatchObject({ kind: 'conflict' });
      expect(readdirSync(outside)).toEqual([]);
      expect(vols.list()).toEqual([]);
    });

    it('refuses a symlink planted at _data', async () => {
      const outside = join(dir, 'outside');
      mkdirSync(outside, { mode: 0o700 });
      const before = statSync(outside).mode;
      mkdirSync(join(root, 'evil2'), { recursive: true });
      symlinkSync(outside, join(root, 'evil2/_data'));
      await expect(vols.create({ name: 'evil2' })).rejects.toMatchObject({ kind: 'conflict' });
      expect(statSync(outside).mode).toBe(before);
      expect(readdirSync(outside)).toEqual([]);
    });

    it('refuses a volumes root that is a symlink', async () => {
      const outside = join(dir, 'outside');
      mkdirSync(outside);
      symlinkSync(outside, root);
      await expect(vols.create({ name: 'vx' })).rejects.toMatchObject({ kind: 'conflict' });
      expect(readdirSync(outside)).toEqual([]);
    });
  });

  describe('get and list', () => {
    it('answers 404 in docker\'s words', () => {
      expect(() => vols.get('nope')).toThrow(expect.objectContaining({ kind: 'not-found', message: 'get nope: no such volume' }));
    });

    it.each([
      { name: 'name substring', f: { name: ['web'] }, want: ['web-data', 'web-logs'] },
      { name: 'label key', f: { label: ['tier'] }, want: ['db', 'web-data'] },
      { name: 'label key=value', f: { label: ['tier=front'] }, want: ['web-data'] },
      { name: 'two labels must both match', f: { label: ['tier', 'keep=1'] }, want: ['db'] },
      { name: 'dangling=true', f: { dangling: ['true'] }, want: ['web-data', 'web-logs'] },
      { name: 'dangling=0', f: { dangling: ['0'] }, want: ['db'] },
      { name: 'driver local', f: { driver: ['local'] }, want: ['db', 'web-data', 'web-logs'] },
      { name: 'driver other', f: { driver: ['nfs'] }, want: [] },
    ])('filters by $name', async ({ f, want }) => {
      await vols.create({ name: 'web-data', labels: { tier: 'front' } });
      await vols.create({ name: 'web-logs' });
      await vols.create({ name: 'db', labels: { tier: 'back', keep: '1' } });
      users.db = ['c1'];
      expect(vols.list(JSON.stringify(f)).map((v) => v.name).sort()).toEqual(want);
    });

    it('takes the map form of filters too', async () => {
      await vols.create({ name: 'abc' });
      expect(vols.list('{"name":{"abc":true}}').map((v) => v.name)).toEqual(['abc']);
    });

    it.each([
      { name: 'unknown key', f: '{"foo":["x"]}', msg: "invalid filter 'foo'" },
      { name: 'label! in list', f: '{"label!":["x"]}', msg: "invalid filter 'label!'" },
      { name: 'bad dangling', f: '{"dangling":["maybe"]}', msg: "invalid filter 'dangling=[maybe]'" },
      { name: 'bad JSON', f: '{', msg: 'invalid filters: {' },
      { name: 'not an object', f: '[1]', msg: 'invalid filters: expected a JSON object' },
      { name: 'values of the wrong type', f: '{"name":[1]}', msg: "invalid filter 'name': expected a list of strings" },
    ])('refuses $name with 400', ({ f, msg }) => {
      expect(() => vols.list(f)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: msg }));
    });

    it('parses filters into a prototype-free map', () => {
      const f = parseVolumeFilters('{"name":["constructor"]}', LIST_FILTERS);
      expect(Object.getPrototypeOf(f)).toBeNull();
    });
  });

  describe('remove', () => {
    it('deletes the directory and the record, with a destroy event', async () => {
      await vols.create({ name: 'gone' });
      writeFileSync(join(root, 'gone/_data/f'), 'x');
      await vols.remove('gone');
      expect(existsSync(join(root, 'gone'))).toBe(false);
      expect(() => vols.get('gone')).toThrow();
      expect(events).toEqual(['create gone local', 'destroy gone local']);
    });

    it('answers 404 for a missing volume, and nothing with force', async () => {
      await expect(vols.remove('nope')).rejects.toMatchObject({ kind: 'not-found', message: 'get nope: no such volume' });
      await expect(vols.remove('nope', { force: true })).resolves.toBeUndefined();
    });

    it('refuses a volume in use with docker\'s message, even with force', async () => {
      await vols.create({ name: 'used' });
      users.used = ['c1'];
      vols.reference('used', 'c2');
      const err = { kind: 'conflict', message: 'remove used: volume is in use - [c2 c1]' };
      await expect(vols.remove('used')).rejects.toMatchObject(err);
      await expect(vols.remove('used', { force: true })).rejects.toMatchObject(err);
      expect(existsSync(join(root, 'used/_data'))).toBe(true);
      vols.release('used', 'c2');
      users.used = [];
      await vols.remove('used');
    });

    it('leaves a symlink swapped in for the volume dir (and its target) alone', async () => {
      await vols.create({ name: 'swap' });
      const outside = join(dir, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'keep'), 'k');
      rmSync(join(root, 'swap'), { recursive: true });
      symlinkSync(outside, join(root, 'swap'));
      await expect(vols.remove('swap')).rejects.toMatchObject({ kind: 'conflict' });
      await vols.remove('swap', { force: true }); // force drops the record only
      expect(lstatSync(join(root, 'swap')).isSymbolicLink()).toBe(true);
      expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('k');
      expect(vols.list()).toEqual([]);
    });

    it('does not follow symlinks inside the volume', async () => {
      await vols.create({ name: 'links' });
      const outside = join(dir, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'keep'), 'k');
      symlinkSync(outside, join(root, 'links/_data/out'));
      await vols.remove('links');
      expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('k');
    });
  });

  describe('prune', () => {
    beforeEach(async () => {
      await vols.create({ name: 'named', labels: {} });
      await vols.create({ name: 'anon', labels: { [ANONYMOUS_LABEL]: '' } });
      await vols.create({ name: 'busy', labels: { [ANONYMOUS_LABEL]: '' } });
      await vols.create({ name: 'kept', labels: { keep: 'yes' } });
      users.busy = ['c1'];
      writeFileSync(join(root, 'named/_data/f'), 'x'.repeat(1000));
      mkdirSync(join(root, 'named/_data/d'));
      writeFileSync(join(root, 'named/_data/d/g'), 'y'.repeat(24));
    });
    const names = () => vols.list().map((v) => v.name).sort();

    it('API ≤ 1.41: removes every unused volume and measures the space', async () => {
      const r = await vols.prune(undefined, { allByDefault: true });
      expect(r.deleted.sort()).toEqual(['anon', 'kept', 'named']);
      expect(r.reclaimed).toBe(1024);
      expect(names()).toEqual(['busy']);
    });

    it('API ≤ 1.41 refuses the all filter with docker 20.10\'s message', async () => {
      await expect(vols.prune('{"all":["true"]}', { allByDefault: true })).rejects.toMatchObject({ kind: 'invalid-parameter', message: "Invalid filter 'all'" });
    });

    it('API ≥ 1.42: only anonymous volumes unless all=true', async () => {
      expect((await vols.prune(undefined, { allByDefault: false })).deleted).toEqual(['anon']);
      expect((await vols.prune('{"all":["1"]}', { allByDefault: false })).deleted.sort()).toEqual(['kept', 'named']);
    });

    it('honours label and label!', async () => {
      expect((await vols.prune('{"label":["keep=yes"]}', { allByDefault: true })).deleted).toEqual(['kept']);
      expect((await vols.prune('{"label!":["keep"]}', { allByDefault: true })).deleted.sort()).toEqual(['anon', 'named']);
    });

    it.each([
      { f: '{"all":["maybe"]}', msg: "invalid filter 'all=[maybe]'" },
      { f: '{"until":["1h"]}', msg: "invalid filter 'until'" },
      { f: '{"dangling":["true"]}', msg: "invalid filter 'dangling'" },
    ])('refuses $f', async ({ f, msg }) => {
      await expect(vols.prune(f, { allByDefault: false })).rejects.toMatchObject({ kind: 'invalid-parameter', message: msg });
      expect(names()).toHaveLength(4);
    });

    it('refuses a second prune while one runs', async () => {
      const first = vols.prune(undefined, { allByDefault: true });
      await expect(vols.prune(undefined, { allByDefault: true })).rejects.toMatchObject({ kind: 'conflict', message: 'a prune operation is already running' });
      await first;
    });
  });
});
