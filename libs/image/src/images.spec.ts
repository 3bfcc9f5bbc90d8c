import { Images } from './images';
import { MemoryImageStore } from './store/memory-image-store';
import { packLayer } from './layers/layer-writer';
import { writeImage } from './image-writer';
import { file, makeImage } from './testing/fixtures';

describe(Images.name, () => {
  let store: MemoryImageStore;
  let images: Images;
  beforeEach(() => {
    store = new MemoryImageStore();
    images = new Images(store);
  });

  describe('resolve', () => {
    it('finds an image by tag, familiar name, id, short id and digest', async () => {
      const img = await makeImage(store, [[file('a', '1')]]);
      await images.tag(img.configDigest, 'busybox');
      for (const text of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', img.configDigest, img.configDigest.slice(7), img.configDigest.slice(7, 19), `busybox@${img.manifestDigest}`]) {
        expect((await images.resolve(text)).manifestDigest).toBe(img.manifestDigest);
      }
    });

    it.each(['nothing', 'busybox:other', 'UPPER', 'abc123'])('answers %s with No such image', async (text) => {
      await makeImage(store, [[file('a', '1')]]);
      await expect(images.resolve(text)).rejects.toMatchObject({ kind: 'not-found', message: `No such image: ${text}` });
    });
  });

  describe('list', () => {
    it('reports tags in familiar form, digests, size and labels', async () => {
      const img = await makeImage(store, [[file('a', '1')]]);
      await images.tag(img.configDigest, '127.0.0.1:5000/app:v1');
      const [s] = await images.list();
      expect(s).toMatchObject({ id: img.configDigest, repoTags: ['127.0.0.1:5000/app:v1'], repoDigests: [`127.0.0.1:5000/app@${img.manifestDigest}`], labels: {} });
      expect(s.size).toBeGreaterThan(0);
    });
  });

  describe('remove', () => {
    it('across repositories (prune) removes an image tagged in several, but never one in use', async () => {
      let users: string[] = [];
      images = new Images(store, { usedBy: () => users });
      const img = await makeImage(store, [[file('a', '1')]]);
      await images.tag(img.configDigest, 'one:1');
      await images.tag(img.configDigest, 'two:1');
      await expect(images.remove(img.configDigest)).rejects.toMatchObject({ kind: 'conflict' });
      users = ['c1'];
      await expect(images.remove(img.configDigest, { allRepositories: true })).rejects.toMatchObject({ kind: 'conflict' });
      expect((await images.list()).map((i) => i.id)).toEqual([img.configDigest]);
      users = [];
      expect(await images.remove(img.configDigest, { allRepositories: true })).toEqual(expect.arrayContaining([{ untagged: 'one:1' }, { untagged: 'two:1' }, { deleted: img.configDigest }]));
      expect(await images.list()).toEqual([]);
    });
  });

  describe('diskUsage', () => {
    it('counts a layer two images share once, and reports it as their shared size', async () => {
      const base = await makeImage(store, [[file('a', '1')]]);
      const child = await makeImage(store, [[file('a', '1')], [file('b', '22')]]);
      const [b, c] = [await images.inspect(base.configDigest), await images.inspect(child.configDigest)];
      const u = await images.diskUsage();
      expect(u.layersSize).toBe(c.size);
      expect(u.shared.get(base.configDigest)).toBe(b.size);
      expect(u.shared.get(child.configDigest)).toBe(b.size);
      expect(b.size).toBeLessThan(c.size);
    });
  });

  describe('history', () => {
    it('lists the config history newest first: id and tags on the top row, each layer row with its size', async () => {
      const layers = [{ packed: await packLayer([file('a', '1')]) }, { packed: await packLayer([file('b', '22')]) }];
      const img = await writeImage(store, {
        layers,
        created: '2026-01-02T00:00:00Z',
        history: [
          { created: '2026-01-01T00:00:00Z', created_by: 'ADD a /' },
          { created: '2026-01-01T00:00:01Z', created_by: 'ENV X=1', empty_layer: true },
          { created: '2026-01-02T00:00:00Z', created_by: 'COPY b /', comment: 'buildkit' },
        ],
      });
      await images.tag(img.configDigest, 'app:v1');
      const sizes = (await store.readManifest(img.manifestDigest)).layers.map((l) => l.size);
      expect(await images.history('app:v1')).toEqual([
        { Id: img.configDigest, Created: Date.parse('2026-01-02T00:00:00Z') / 1000, CreatedBy: 'COPY b /', Tags: ['app:v1'], Size: sizes[1], Comment: 'buildkit' },
        { Id: '<missing>', Created: Date.parse('2026-01-01T00:00:01Z') / 1000, CreatedBy: 'ENV X=1', Tags: null, Size: 0, Comment: '' },
        { Id: '<missing>', Created: Date.parse('2026-01-01T00:00:00Z') / 1000, CreatedBy: 'ADD a /', Tags: null, Size: sizes[0], Comment: '' },
      ]);
    });

    it('answers an image without history with one row, and an unknown image with No such image', async () => {
      const img = await makeImage(store, [[file('a', '1')]]);
      const [row, ...rest] = await images.history(img.configDigest);
      expect(rest).toEqual([]);
      expect(row).toMatchObject({ Id: img.configDigest, Tags: null, CreatedBy: '' });
      await expect(images.history('nothing')).rejects.toMatchObject({ kind: 'not-found', message: 'No such image: nothing' });
    });
  });

  describe('remove', () => {
    it('only untags while another tag remains, then deletes and collects', async () => {
      const img = await makeImage(store, [[file('a', '1')]]);
      await images.tag(img.configDigest, 'a:1');
      await images.tag(img.configDigest, 'a:2');
      await store.unpack(img.manifestDigest);
      expect(await images.remove('a:1')).toEqual([{ untagged: 'a:1' }]);
      const report = await images.remove('a:2');
      expect(report).toEqual([{ untagged: 'a:2' }, { deleted: img.configDigest }, { deleted: expect.stringMatching(/^sha256:/) }]);
      expect(await store.listImages()).toEqual([]);
      expect(await store.statBlob(img.manifestDigest)).toBeUndefined();
    });

    it('refuses to delete by id an image in several repositories unless forced', async () => {
      const img = await makeImage(store, [[file('a', '1')]]);
      await images.tag(img.configDigest, 'a:1');
      await images.tag(img.configDigest, 'b:1');
      const short = img.configDigest.slice(7, 19);
      await expect(images.remove(short)).rejects.toMatchObject({
        kind: 'conflict', message: `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
      });
      expect(await store.listTags()).toHaveLength(2);
      expect(await images.remove(short, { force: true })).toHaveLength(3);
    });

    it('refuses to remove an image a container uses', async () => {
      const img = await makeImage(store, [[file('a', '1')]]);
      await images.tag(img.configDigest, 'a:1');
      const busy = new Images(store, { usedBy: () => ['c'.repeat(64)] });
      await expect(busy.remove('a:1')).rejects.toMatchObject({ kind: 'conflict', message: expect.stringContaining(`container cccccccccccc is using its referenced image`) });
      expect(await store.listTags()).toHaveLength(1);
    });
  });
});
