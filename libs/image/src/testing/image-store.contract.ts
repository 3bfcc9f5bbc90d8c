import { sha256 } from '../oci';
import type { ImageStore } from '../store/image-store.port';
import { dir, failingStream, file, makeImage } from './fixtures';

/**
 * The behaviour every ImageStore must have. Run against MemoryImageStore (unit) and
 * FileImageStore (integration), so the fake cannot drift from the real store.
 */
export function describeImageStoreContract(name: string, make: () => Promise<ImageStore>, cleanup: () => Promise<void> = async () => undefined): void {
  describe(`${name} (ImageStore contract)`, () => {
    let store: ImageStore;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(cleanup);

    describe('putBlob', () => {
      it('stores content under its sha256 and reads it back', async () => {
        const b = await store.putBlob(Buffer.from('hello'));
        expect(b).toEqual({ digest: sha256('hello'), size: 5 });
        expect((await store.readBlob(b.digest)).toString()).toBe('hello');
        expect(await store.statBlob(b.digest)).toBe(5);
      });

      it('rejects content whose digest differs from the expected one and stores nothing', async () => {
        const wrong = sha256('other');
        await expect(store.putBlob(Buffer.from('hello'), { digest: wrong })).rejects.toMatchObject({
          kind: 'invalid-parameter',
          message: `digest mismatch: expected ${wrong}, got ${sha256('hello')}`,
        });
        expect(await store.statBlob(sha256('hello'))).toBeUndefined();
        expect(await store.statBlob(wrong)).toBeUndefined();
      });

      it('rejects a size mismatch', async () => {
        await expect(store.putBlob(Buffer.from('hello'), { size: 4 })).rejects.toMatchObject({ kind: 'invalid-parameter' });
        expect(await store.statBlob(sha256('hello'))).toBeUndefined();
      });

      it('leaves nothing behind when the source fails midway', async () => {
        await expect(store.putBlob(failingStream(Buffer.from('partial')))).rejects.toThrow('connection reset');
        expect(await store.statBlob(sha256('partial'))).toBeUndefined();
        expect((await store.gc()).blobs).toEqual([]);
      });

      it('rejects a malformed expected digest', async () => {
        await expect(store.putBlob(Buffer.from('x'), { digest: 'sha256:../../etc' })).rejects.toMatchObject({ kind: 'invalid-parameter' });
      });
    });

    describe('readBlob', () => {
      it('fails with NotFound for an absent blob', async () => {
        await expect(store.readBlob(sha256('none'))).rejects.toMatchObject({ kind: 'not-found' });
        await expect(store.openBlob(sha256('none'))).rejects.toMatchObject({ kind: 'not-found' });
      });
    });

    describe('addImage', () => {
      it('records an image whose id is the config digest', async () => {
        const img = await makeImage(store, [[dir('etc'), file('etc/hostname', 'x')]]);
        expect(await store.getImage(img.manifestDigest)).toEqual(img);
        expect((await store.readManifest(img.manifestDigest)).config.digest).toBe(img.configDigest);
        expect(await store.listImages()).toEqual([img]);
      });

      it('refuses a manifest whose layers are missing', async () => {
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('c'), size: 1 },
          layers: [],
        }));
        const m = await store.putBlob(manifest);
        await expect(store.addImage(m.digest)).rejects.toMatchObject({ kind: 'not-found', message: `blob ${sha256('c')} not found` });
        expect(await store.listImages()).toEqual([]);
      });
    });

    describe('tags', () => {
      it('points tags at images, moves them and removes them with the image', async () => {
        const a = await makeImage(store, [[file('a', 'a')]]);
        const b = await makeImage(store, [[file('b', 'b')]]);
        await store.setTag('docker.io/library/x:1', a.manifestDigest);
        await store.setTag('docker.io/library/x:2', a.manifestDigest);
        await store.setTag('docker.io/library/x:1', b.manifestDigest);
        expect(await store.listTags()).toEqual(expect.arrayContaining([
          { name: 'docker.io/library/x:1', manifestDigest: b.manifestDigest },
          { name: 'docker.io/library/x:2', manifestDigest: a.manifestDigest },
        ]));
        await store.deleteImage(a.manifestDigest);
        expect(await store.listTags()).toEqual([{ name: 'docker.io/library/x:1', manifestDigest: b.manifestDigest }]);
        expect(await store.deleteTag('docker.io/library/x:9')).toBe(false);
      });

      it('refuses to tag an unknown image', async () => {
        await expect(store.setTag('docker.io/library/x:1', sha256('nothing'))).rejects.toMatchObject({ kind: 'not-found' });
        expect(await store.listTags()).toEqual([]);
      });
    });

    describe('gc', () => {
      it('removes blobs and layers of deleted images only, and spares held blobs', async () => {
        const keep = await makeImage(store, [[file('keep', '1')]]);
        const drop = await makeImage(store, [[file('drop', '2')], [file('drop2', '3')]]);
        await store.unpack(keep.manifestDigest);
        await store.unpack(drop.manifestDigest);
        const held = await store.putBlob(Buffer.from('in flight'));
        const release = store.hold([held.digest]);
        await store.deleteImage(drop.manifestDigest);
        const removed = await store.gc();
        expect(removed.blobs).toHaveLength(4); // manifest, config, two layers
        expect(removed.blobs).toContain(drop.manifestDigest);
        expect(removed.layers).toHaveLength(2);
        expect(await store.statBlob(held.digest)).toBe(9);
        expect(await store.statBlob(keep.configDigest)).toBeGreaterThan(0);
        release();
        expect((await store.gc()).blobs).toEqual([held.digest]);
        expect(await store.unpack(keep.manifestDigest)).toHaveLength(1);
      });
    });

    describe('unpack', () => {
      it('unpacks each chain once and returns lower dirs bottom first', async () => {
        const base = await makeImage(store, [[file('a', '1')]]);
        const child = await makeImage(store, [[file('a', '1')], [file('b', '2')]]);
        const baseDirs = await store.unpack(base.manifestDigest);
        const childDirs = await store.unpack(child.manifestDigest);
        expect(childDirs).toHaveLength(2);
        expect(childDirs[0]).toBe(baseDirs[0]);
        expect(await store.unpack(child.manifestDigest)).toEqual(childDirs);
      });

      it('fails with NotFound for an unknown image', async () => {
        await expect(store.unpack(sha256('nothing'))).rejects.toMatchObject({ kind: 'not-found' });
      });
    });
  });
}
