import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Images } from '../images';
import { packLayer } from '../layers/layer-writer';
import { unpackLayerToDir } from '../layers/unpack-dir';
import { badOutcome, fuzzSeed, within } from '../testing/fuzz';
import { mutants } from '../testing/hostile-tar';
import { SnapshotImageStore } from '../testing/store-snapshot';
import { MemoryBuildCache } from './build-cache';
import { buildImage } from './builder';

const SEED = fuzzSeed(20261207);

describe('build contexts on generated hostile input', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'netd-ctx-fuzz-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('mutations of a valid context build or fail with a 4xx, write nothing outside the context and leave the store as it was', async () => {
    const context = (await packLayer([
      { path: 'Dockerfile', type: 'file', data: Buffer.from('FROM scratch\nCOPY . /ctx/\nADD inner.tar /unpacked/\nCOPY link /l\nLABEL a=b\n') },
      { path: '.dockerignore', type: 'file', data: Buffer.from('ignored\n') },
      { path: 'dir', type: 'directory' },
      { path: 'dir/a', type: 'file', data: Buffer.from('a'.repeat(600)) },
      { path: 'link', type: 'symlink', linkname: '/dir/a' },
      { path: 'hard', type: 'link', linkname: 'dir/a' },
      { path: 'inner.tar', type: 'file', data: (await packLayer([{ path: 'x', type: 'file', data: Buffer.from('x') }])).tar },
      { path: 'ignored', type: 'file', data: Buffer.from('i') },
    ])).tar;
    const failures: string[] = [];
    for (const c of mutants(context, SEED, 200)) {
      const store = new SnapshotImageStore();
      const before = await store.snapshot();
      const caseDir = mkdtempSync(join(work, 'case-'));
      const err = await within(3000, async () => {
        await unpackLayerToDir(Readable.from([c.bytes]), join(caseDir, 'ctx'), { preserveOwners: false, context: true });
        await buildImage(new Images(store), { context: join(caseDir, 'ctx'), cache: new MemoryBuildCache(), tags: ['fuzz:1'] });
      }).then(() => undefined, (e: unknown) => e ?? new Error('rejected with nothing'));
      const bad = badOutcome(err);
      if (bad) failures.push(`FUZZ_SEED=${SEED} ${c.name}: ${bad}`);
      else if (err !== undefined && (await store.snapshot()) !== before) failures.push(`FUZZ_SEED=${SEED} ${c.name}: failed but changed the store`);
      const beside = readdirSync(caseDir);
      if (beside.join() !== 'ctx' && !(err !== undefined && beside.length === 0)) failures.push(`FUZZ_SEED=${SEED} ${c.name}: wrote ${beside.join()} beside the context`);
      rmSync(caseDir, { recursive: true, force: true });
    }
    expect(readdirSync(work)).toEqual([]);
    if (failures.length > 0) console.error(`seed ${SEED}:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  }, 60_000);
});
