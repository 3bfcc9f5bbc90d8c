import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describeAsRoot } from '../testing/as-root';
import { badOutcome, fuzzSeed, within } from '../testing/fuzz';
import { mutants } from '../testing/hostile-tar';
import { packLayer } from './layer-writer';
import { unpackLayerToDir } from './unpack-dir';

const SEED = fuzzSeed(20261208);

describeAsRoot('unpackLayerToDir (layers, as root) on generated hostile input', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'netd-layer-fuzz-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('mutations of a valid layer unpack or fail with a 4xx, writing nothing beside the layer directory', async () => {
    const layer = (await packLayer([
      { path: 'etc', type: 'directory' }, { path: 'etc/a', type: 'file', data: Buffer.from('a'.repeat(700)) },
      { path: 'etc/hard', type: 'link', linkname: 'etc/a' }, { path: 'etc/sym', type: 'symlink', linkname: '../../../etc/passwd' },
      { path: 'etc/.wh.gone', type: 'file', data: new Uint8Array() }, { path: 'var', type: 'directory' },
      { path: 'var/.wh..wh..opq', type: 'file', data: new Uint8Array() }, { path: 'dev', type: 'directory' },
      { path: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 }, { path: 'fifo', type: 'fifo' },
    ])).tar;
    const failures: string[] = [];
    for (const c of mutants(layer, SEED, 250)) {
      const caseDir = mkdtempSync(join(work, 'case-'));
      const err = await within(3000, () => unpackLayerToDir(Readable.from([c.bytes]), join(caseDir, 'layer'))).then(() => undefined, (e: unknown) => e ?? new Error('rejected with nothing'));
      const bad = badOutcome(err);
      if (bad) failures.push(`FUZZ_SEED=${SEED} ${c.name}: ${bad}`);
      if (readdirSync(caseDir).join() !== 'layer') failures.push(`FUZZ_SEED=${SEED} ${c.name}: wrote ${readdirSync(caseDir).join()} beside the layer`);
      rmSync(caseDir, { recursive: true, force: true });
    }
    expect(readdirSync(work)).toEqual([]);
    if (failures.length > 0) console.error(`seed ${SEED}:\n${failures.join('\n')}`);
    expect(failures).toEqual([]);
  }, 120_000);
});
