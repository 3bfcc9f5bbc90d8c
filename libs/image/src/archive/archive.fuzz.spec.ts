import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Images } from '../images';
import { packLayer } from '../layers/layer-writer';
import { jsonBytes, sha256 } from '../oci';
import { dir, file, makeImage } from '../testing/fixtures';
import { badOutcome, fuzzSeed, within } from '../testing/fuzz';
import { mutants, rawTar, type Mutant } from '../testing/hostile-tar';
import { SnapshotImageStore } from '../testing/store-snapshot';
import { loadImages, saveImages } from './docker-archive';
import { importRootfs } from './import';

const SEED = fuzzSeed(20261206);

async function bytes(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A store holding one tagged image, which every failed case must leave exactly as it was. */
async function seededStore(): Promise<SnapshotImageStore> {
  const store = new SnapshotImageStore();
  const img = await makeImage(store, [[file('kept', 'k')]]);
  await store.setTag('docker.io/library/kept:1', img.manifestDigest);
  return store;
}

/** Run every mutant through `consume`; collect what broke the rules (with the seed to replay it). */
async function fuzz(cases: Mutant[], consume: (store: SnapshotImageStore, input: Buffer) => Promise<unknown>): Promise<string[]> {
  const failures: string[] = [];
  for (const c of cases) {
    const store = await seededStore();
    const before = await store.snapshot();
    const err = await within(3000, () => consume(store, c.bytes)).then(() => undefined, (e: unknown) => e ?? new Error('rejected with nothing'));
    const bad = badOutcome(err);
    if (bad) failures.push(`FUZZ_SEED=${SEED} ${c.name}: ${bad}`);
    else if (err !== undefined && (await store.snapshot()) !== before) failures.push(`FUZZ_SEED=${SEED} ${c.name}: failed but changed the store`);
  }
  return failures;
}

describe('archive parsers on generated hostile input', () => {
  let layerTar: Buffer;
  let archive: Buffer;

  beforeAll(async () => {
    const src = new SnapshotImageStore();
    layerTar = (await packLayer([
      dir('etc'), file('etc/a', 'alpha'), { path: 'etc/hard', type: 'link', linkname: 'etc/a' }, { path: 'etc/sym', type: 'symlink', linkname: '../etc/a' },
      { path: 'etc/.wh.gone', type: 'file', data: new Uint8Array() }, dir('var'), { path: 'var/.wh..wh..opq', type: 'file', data: new Uint8Array() },
    ])).tar;
    const img = await makeImage(src, [[dir('bin'), file('bin/x', 'x'.repeat(700))], [dir('etc'), file('etc/b', 'b')]]);
    await src.setTag('docker.io/library/app:1', img.manifestDigest);
    archive = await bytes(await saveImages(new Images(src), ['app:1']));
  });

  it('load: mutations of a valid docker-archive load or fail with a 4xx, leaving the store as it was', async () => {
    const cases = [...mutants(archive, SEED, 250), ...mutants(gzipSync(archive), SEED + 1, 0).slice(0, 20).map((m) => ({ ...m, name: `gzip ${m.name}` }))];
    const failures = await fuzz(cases, (store, input) => loadImages(store, Readable.from([input])));
    if (failures.length > 0) console.error(`seed ${SEED}:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  }, 60_000);

  it('load: a valid archive around a mutated layer (diff ids made to match) loads or fails with a 4xx', async () => {
    const cases = mutants(layerTar, SEED + 2, 250).map((m) => {
      const config = jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(m.bytes)] } });
      const bytes = rawTar([
        { name: 'layer.tar', data: m.bytes },
        { name: 'config.json', data: config },
        { name: 'manifest.json', data: jsonBytes([{ Config: 'config.json', RepoTags: ['fuzz:1'], Layers: ['layer.tar'] }]) },
      ]);
      return { name: `layer ${m.name}`, bytes };
    });
    const failures = await fuzz(cases, async (store, input) => {
      const [loaded] = await loadImages(store, Readable.from([input]));
      // what load accepted must also unpack
      await store.unpack(loaded.image.manifestDigest);
    });
    if (failures.length > 0) console.error(`seed ${SEED}:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  }, 60_000);

  it('import: mutations of a layer import or fail with a 4xx, leaving the store as it was', async () => {
    const failures = await fuzz(mutants(layerTar, SEED + 3, 250), async (store, input) => {
      const img = await importRootfs(store, Readable.from([input]), { reference: 'fuzz:2' });
      await store.unpack(img.manifestDigest);
    });
    if (failures.length > 0) console.error(`seed ${SEED}:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  }, 60_000);
});
