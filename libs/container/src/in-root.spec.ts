import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFileInRoot } from './in-root';

describe(readFileInRoot.name, () => {
  let dir: string;
  let root: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netd-inroot-'));
    root = join(dir, 'root');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'real'), { recursive: true });
    writeFileSync(join(root, 'etc', 'passwd'), 'inside\n');
    writeFileSync(join(dir, 'host-secret'), 'HOST\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a plain file', async () => {
    expect(await readFileInRoot(root, '/etc/passwd')).toBe('inside\n');
    expect(await readFileInRoot(root, 'etc/missing')).toBeUndefined();
  });

  it('resolves absolute symlinks and .. inside the root, never on the host', async () => {
    symlinkSync(join(dir, 'host-secret'), join(root, 'etc', 'group'));
    symlinkSync('../../../../host-secret', join(root, 'etc', 'shadow'));
    symlinkSync('/etc/passwd', join(root, 'real', 'p'));
    symlinkSync('/', join(root, 'etc', 'up'));
    expect(await readFileInRoot(root, '/etc/group')).toBeUndefined();
    expect(await readFileInRoot(root, '/etc/shadow')).toBeUndefined();
    expect(await readFileInRoot(root, '/../../host-secret')).toBeUndefined();
    expect(await readFileInRoot(root, '/real/p')).toBe('inside\n');
    expect(await readFileInRoot(root, '/etc/up/../etc/up/etc/passwd')).toBe('inside\n');
  });

  it('gives up on a symlink loop, a directory and a FIFO', async () => {
    symlinkSync('loop', join(root, 'etc', 'loop'));
    execFileSync('mkfifo', [join(root, 'etc', 'fifo')]);
    expect(await readFileInRoot(root, '/etc/loop')).toBeUndefined();
    expect(await readFileInRoot(root, '/etc')).toBeUndefined();
    expect(await readFileInRoot(root, '/etc/fifo')).toBeUndefined();
  });

  it('refuses a file over the size bound', async () => {
    writeFileSync(join(root, 'etc', 'big'), 'x'.repeat(100));
    await expect(readFileInRoot(root, '/etc/big', 10)).rejects.toMatchObject({ kind: 'invalid-parameter' });
  });
});
