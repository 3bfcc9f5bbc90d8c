import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAsRoot } from '../testing/as-root';
import { copyImageDir } from './copy-out';
import { lsetxattr, mknod } from './native-fs';
import { OVERLAY_OPAQUE_XATTR } from './unpack-dir';

/** `find` of a tree: path, type, mode, owner, link target, size; sorted. */
function listing(dir: string): string {
  return execFileSync('find', ['.', '-printf', '%p %y %m %U:%G %l %s\n'], { cwd: dir, encoding: 'utf8' }).split('\n').filter((l) => l && !l.startsWith('. ')).sort().join('\n');
}

// The kernel's overlayfs is the oracle: the same layers mounted in a private mount namespace
// must list exactly as the copy does.
describeAsRoot('copyImageDir', () => {
  let work: string;
  let lowers: string[];
  const layer = (n: number, p: string) => join(work, `l${n}`, p);

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'netd-copyout-'));
    for (const d of ['l2/data/sub', 'l2/data/opq', 'l2/data/gone-dir', 'l1/data/opq', 'l1/data/sub', 'l0/data', 'dest', 'outside']) mkdirSync(join(work, d), { recursive: true });
    // bottom layer (l2)
    writeFileSync(layer(2, 'data/base'), 'base');
    writeFileSync(layer(2, 'data/sub/low'), 'low');
    writeFileSync(layer(2, 'data/opq/hidden'), 'hidden');
    writeFileSync(layer(2, 'data/gone'), 'gone');
    writeFileSync(layer(2, 'data/gone-dir/x'), 'x');
    writeFileSync(join(work, 'outside/secret'), 'secret');
    // middle (l1): whiteouts, an opaque directory, owners and modes, links
    mknod(layer(1, 'data/gone'), 'char', 0, 0, 0);
    mknod(layer(1, 'data/gone-dir'), 'char', 0, 0, 0);
    lsetxattr(layer(1, 'data/opq'), OVERLAY_OPAQUE_XATTR, 'y');
    writeFileSync(layer(1, 'data/opq/seen'), 'seen');
    writeFileSync(layer(1, 'data/sub/mid'), 'mid');
    chownSync(layer(1, 'data/sub/mid'), 123, 45);
    chmodSync(layer(1, 'data/sub/mid'), 0o4750);
    writeFileSync(layer(1, 'data/hard1'), 'hard');
    linkSync(layer(1, 'data/hard1'), layer(1, 'data/sub/hard2'));
    symlinkSync('/etc/shadow', layer(1, 'data/abs-link'));
    symlinkSync('../../../../outside', layer(1, 'data/rel-link'));
    mknod(layer(1, 'data/fifo'), 'fifo', 0o600);
    mknod(layer(1, 'data/null'), 'char', 0o666, 1, 3);
    // top (l0): replaces a file of l2, and the directory's own owner and mode
    writeFileSync(layer(0, 'data/base'), 'top');
    chownSync(layer(0, 'data'), 7, 8);
    chmodSync(layer(0, 'data'), 0o751);
    lowers = [0, 1, 2].map((n) => join(work, `l${n}`));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('copies what overlayfs shows, with owners, modes, links and device nodes', async () => {
    expect(await copyImageDir(lowers, '/data', join(work, 'dest'))).toBe('copied');
    mkdirSync(join(work, 'merged'));
    mkdirSync(join(work, 'upper'));
    mkdirSync(join(work, 'ovwork'));
    const oracle = execFileSync('unshare', ['-m', 'sh', '-c',
      `mount -t overlay overlay -o lowerdir=${lowers.join(':')} ${join(work, 'merged')} && cd ${join(work, 'merged/data')} && find . -printf '%p %y %m %U:%G %l %s\\n'`], { encoding: 'utf8' });
    const want = oracle.split('\n').filter((l) => l && !l.startsWith('. ')).sort().join('\n');
    expect(listing(join(work, 'dest'))).toBe(want);
    expect(want).toContain('./opq/seen');
    expect(want).not.toContain('hidden');
    expect(want).not.toContain('gone');
    const d = lstatSync(join(work, 'dest'));
    expect([d.uid, d.gid, d.mode & 0o7777]).toEqual([7, 8, 0o751]);
    expect(lstatSync(join(work, 'dest/hard1')).ino).toBe(lstatSync(join(work, 'dest/sub/hard2')).ino);
    expect(lstatSync(join(work, 'dest/null')).rdev).toBe(lstatSync('/dev/null').rdev);
    expect(readdirSync(join(work, 'outside'))).toEqual(['secret']);
  });

  it('resolves the path inside the image: a symlink climbing out lands on the image root', async () => {
    symlinkSync('../../../../../outside', layer(0, 'escape'));
    expect(await copyImageDir(lowers, '/escape', join(work, 'dest'))).toBe('source-missing');
    symlinkSync('/../../data/sub', layer(0, 'via'));
    expect(await copyImageDir(lowers, '/via', join(work, 'dest'))).toBe('copied');
    expect(readdirSync(join(work, 'dest')).sort()).toEqual(['hard2', 'low', 'mid']);
  });

  it('copies nothing into a directory that has entries, or for a path that is missing or a file', async () => {
    writeFileSync(join(work, 'dest/keep'), 'k');
    expect(await copyImageDir(lowers, '/data', join(work, 'dest'))).toBe('destination-not-empty');
    expect(readdirSync(join(work, 'dest'))).toEqual(['keep']);
    rmSync(join(work, 'dest/keep'));
    expect(await copyImageDir(lowers, '/data/gone', join(work, 'dest'))).toBe('source-missing');
    expect(await copyImageDir(lowers, '/data/base', join(work, 'dest'))).toBe('source-not-a-directory');
    expect(readdirSync(join(work, 'dest'))).toEqual([]);
  });

  it('refuses a destination that is a symlink instead of writing through it', async () => {
    rmSync(join(work, 'dest'), { recursive: true });
    symlinkSync(join(work, 'outside'), join(work, 'dest'));
    rmSync(join(work, 'outside/secret'));
    await expect(copyImageDir(lowers, '/data', join(work, 'dest'))).rejects.toMatchObject({ code: expect.stringMatching(/^(ELOOP|ENOTDIR)$/) });
    expect(readdirSync(join(work, 'outside'))).toEqual([]);
  });
});
