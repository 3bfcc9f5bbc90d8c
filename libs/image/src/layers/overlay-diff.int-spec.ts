import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describeAsRoot } from '../testing/as-root';
import { walkLayer } from './layer-tar';
import { lgetxattr } from './native-fs';
import { packOverlayUpper } from './overlay-diff';
import { OVERLAY_OPAQUE_XATTR, unpackLayerToDir } from './unpack-dir';

// The kernel's overlayfs is the oracle: a shell in a private mount namespace changes a merged
// view, and the whiteouts and opaque markers it leaves in the upper dir become the layer.
describeAsRoot('packOverlayUpper on what overlayfs wrote', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'netd-ovl-diff-'));
    for (const d of ['lower/d', 'lower/keep', 'upper', 'work', 'merged']) mkdirSync(join(work, d), { recursive: true });
    writeFileSync(join(work, 'lower/gone'), 'x');
    writeFileSync(join(work, 'lower/d/old'), 'x');
    writeFileSync(join(work, 'lower/keep/k'), 'x');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const inOverlay = (script: string) =>
    execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-ec',
      `mount -t overlay overlay -o lowerdir=lower,upperdir=upper,workdir=work merged; cd merged; ${script}`], { cwd: work, timeout: 10_000 });

  it('turns whiteouts, opaque directories and hard links into OCI entries that unpack back', async () => {
    inOverlay('rm gone; rm -r d; mkdir d; echo new > d/new; echo f > f1; ln f1 f2; ln -s f1 s; mkfifo p');
    const layer = await packOverlayUpper(join(work, 'upper'));
    const seen: Array<[string, string]> = [];
    await walkLayer(Readable.from([layer.gzip]), async (h) => void seen.push([h.name, h.type ?? '']));
    expect(seen).toEqual([
      ['d/', 'directory'],
      ['d/.wh..wh..opq', 'file'],
      ['d/new', 'file'],
      ['f1', 'file'],
      ['f2', 'link'],
      ['.wh.gone', 'file'],
      ['p', 'fifo'],
      ['s', 'symlink'],
    ]);
    const out = join(work, 'unpacked');
    expect(await unpackLayerToDir(Readable.from([layer.tar]), out)).toBe(layer.diffId);
    expect(lstatSync(join(out, 'gone')).isCharacterDevice()).toBe(true);
    expect(lgetxattr(join(out, 'd'), OVERLAY_OPAQUE_XATTR)).toBe('y');
    expect(readFileSync(join(out, 'd/new'), 'utf8')).toBe('new\n');
    expect(lstatSync(join(out, 'f2')).ino).toBe(lstatSync(join(out, 'f1')).ino);
  });

  it('gives an empty layer for a step that changed nothing', async () => {
    inOverlay('true');
    const layer = await packOverlayUpper(join(work, 'upper'));
    const seen: string[] = [];
    await walkLayer(Readable.from([layer.tar]), async (h) => void seen.push(h.name));
    expect(seen).toEqual([]);
  });
});
