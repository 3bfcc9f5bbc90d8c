import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { Images } from '../images';
import { jsonBytes } from '../oci';
import { MemoryImageStore } from '../store/memory-image-store';
import { dir, file, makeImage } from '../testing/fixtures';
import { loadImages, saveImages } from './docker-archive';
import { importRootfs } from './import';

async function tarOf(entries: Array<{ name: string; data?: Buffer; type?: 'file' | 'directory' }>): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file' }, e.data ?? Buffer.alloc(0));
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function bytes(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe('saveImages / loadImages', () => {
  it('round-trips images with their tags and ids', async () => {
    const a = new MemoryImageStore();
    const img = await makeImage(a, [[dir('etc'), file('etc/x', '1')], [file('y', '2')]]);
    const images = new Images(a);
    await images.tag(img.configDigest, 'app:1');
    const archive = await bytes(await saveImages(images, ['app:1']));

    const b = new MemoryImageStore();
    const loaded = await loadImages(b, Readable.from([archive]));
    expect(loaded).toHaveLength(1);
    expect(loaded[0].image.configDigest).toBe(img.configDigest);
    expect(loaded[0].tags).toEqual(['docker.io/library/app:1']);
    expect(await b.listTags()).toEqual([{ name: 'docker.io/library/app:1', manifestDigest: loaded[0].image.manifestDigest }]);
    expect(await b.unpack(loaded[0].image.manifestDigest)).toHaveLength(2);
  });

  it('rejects an archive whose layer escapes the root and keeps nothing', async () => {
    const layer = await tarOf([{ name: '../evil', data: Buffer.from('x') }]);
    const { sha256 } = await import('../oci');
    const config = jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } });
    const archive = await tarOf([
      { name: 'layer.tar', data: layer },
      { name: 'config.json', data: config },
      { name: 'manifest.json', data: jsonBytes([{ Config: 'config.json', RepoTags: ['evil:1'], Layers: ['layer.tar'] }]) },
    ]);
    const b = new MemoryImageStore();
    await expect(loadImages(b, Readable.from([archive]))).rejects.toMatchObject({ kind: 'invalid-parameter', message: expect.stringContaining('points outside the layer root') });
    expect(await b.listImages()).toEqual([]);
    expect(await b.statBlob(sha256(layer))).toBeUndefined();
  });

  it('rejects an archive without manifest.json', async () => {
    await expect(loadImages(new MemoryImageStore(), Readable.from([await tarOf([{ name: 'x', data: Buffer.from('1') }])])))
      .rejects.toMatchObject({ kind: 'invalid-parameter', message: 'invalid docker archive: no manifest.json' });
  });
});

describe('importRootfs', () => {
  it('makes a single-layer image from a rootfs tar and tags it', async () => {
    const store = new MemoryImageStore();
    const tar = await tarOf([{ name: 'etc/', type: 'directory' }, { name: 'etc/hostname', data: Buffer.from('h') }]);
    const img = await importRootfs(store, Readable.from([tar]), { reference: 'imported:v1', message: 'hello' });
    const config = await store.readConfig(img.configDigest);
    expect(config.rootfs.diff_ids).toHaveLength(1);
    expect(config.history).toEqual([{ created_by: '', comment: 'hello' }]);
    expect(await store.listTags()).toEqual([{ name: 'docker.io/library/imported:v1', manifestDigest: img.manifestDigest }]);
  });

  it('rejects a tar with ../ entries and stores nothing', async () => {
    const store = new MemoryImageStore();
    const tar = await tarOf([{ name: '../../etc/passwd', data: Buffer.from('x') }]);
    await expect(importRootfs(store, Readable.from([tar]), { reference: 'bad' })).rejects.toMatchObject({ kind: 'invalid-parameter' });
    expect(await store.listImages()).toEqual([]);
    expect((await store.gc()).blobs).toEqual([]);
  });

  it('rejects a malformed reference before reading anything', async () => {
    await expect(importRootfs(new MemoryImageStore(), Readable.from([Buffer.alloc(0)]), { reference: 'Bad Name' })).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'invalid reference format' });
  });
});
