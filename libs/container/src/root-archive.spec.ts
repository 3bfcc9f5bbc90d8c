import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, readlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { RootFs } from './root-archive';

const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;

async function tarOf(entries: { name: string; type?: 'file' | 'directory' | 'symlink' | 'fifo'; data?: string; linkname?: string }[]): Promise<Readable> {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file', mode: 0o640, uid, gid, linkname: e.linkname, mtime: new Date(1e12) }, e.data ?? '');
  p.finalize();
  return p as unknown as Readable;
}

async function entriesOf(tar: Readable): Promise<Record<string, string>> {
  const ex = extract();
  tar.pipe(ex);
  const out: Record<string, string> = {};
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out[e.header.name] = e.header.type === 'symlink' ? `-> ${e.header.linkname}` : Buffer.concat(chunks).toString();
  }
  return out;
}

/**
 * The container root is a directory here; its `etc` holds the container's files, and links in it
 * point at `/etc` and above the root: none of them may reach the host's files.
 */
describe(RootFs.name, () => {
  let dir: string;
  let root: string;
  let outside: string;
  let fs: RootFs;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netd-rootfs-'));
    root = join(dir, 'root');
    outside = join(dir, 'outside');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(root, 'etc', 'passwd'), 'container passwd\n');
    writeFileSync(join(outside, 'secret'), 'host secret\n');
    symlinkSync('/etc', join(root, 'evil'));
    symlinkSync('../../../../../..', join(root, 'up'));
    symlinkSync(join(outside, 'secret'), join(root, 'etc', 'hostlink'));
    mkdirSync(join(root, 'data'));
    fs = await RootFs.open(root);
  });
  afterEach(async () => {
    await fs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stats a link without following it, and names its target inside the container', async () => {
    const s = await fs.stat('/evil');
    expect(s).toMatchObject({ name: 'evil', linkTarget: '/etc' });
    expect(s.mode & (1 << 27)).toBeTruthy();
    expect((await fs.stat('/etc')).mode >>> 31).toBe(1);
    await expect(fs.stat('/nope/x')).rejects.toMatchObject({ kind: 'not-found', message: 'Could not find the file /nope/x in container' });
  });

  it("reads through a link to /etc the container's /etc, and through a link above the root the root itself", async () => {
    expect(await entriesOf(await fs.tar('/evil/passwd'))).toEqual({ passwd: 'container passwd\n' });
    expect(await entriesOf(await fs.tar('/up/etc/passwd'))).toEqual({ passwd: 'container passwd\n' });
    // a link to a host path is archived as the link, never its target's content
    expect(await entriesOf(await fs.tar('/etc'))).toEqual({ 'etc/': '', 'etc/hostlink': `-> ${join(outside, 'secret')}`, 'etc/passwd': 'container passwd\n' });
    await expect(fs.tar('/etc/hostlink/')).rejects.toMatchObject({ kind: 'not-found' });
  });

  it("writes through a link to /etc into the container's /etc, never the host's", async () => {
    await fs.untar('/evil', await tarOf([{ name: 'netd-cp-test', data: 'x' }]), { noOverwriteDirNonDir: false });
    expect(readFileSync(join(root, 'etc', 'netd-cp-test'), 'utf8')).toBe('x');
    expect(existsSync('/etc/netd-cp-test')).toBe(false);
    await fs.untar('/up', await tarOf([{ name: 'top', data: 'y' }]), { noOverwriteDirNonDir: false });
    expect(readFileSync(join(root, 'top'), 'utf8')).toBe('y');
  });

  it('follows a link met on an entry path inside the root, and replaces (never writes through) a link at the entry itself', async () => {
    await fs.untar('/', await tarOf([{ name: 'evil/via-link', data: 'z' }, { name: 'etc/hostlink', data: 'replaced' }]), { noOverwriteDirNonDir: false });
    expect(readFileSync(join(root, 'etc', 'via-link'), 'utf8')).toBe('z');
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('host secret\n');
    expect(readFileSync(join(root, 'etc', 'hostlink'), 'utf8')).toBe('replaced');
  });

  it('unpacks files, directories and links with their modes, and refuses what leaves the destination', async () => {
    await fs.untar('/data', await tarOf([{ name: 'd/', type: 'directory' }, { name: 'd/f', data: 'hello' }, { name: 'l', type: 'symlink', linkname: '/etc/passwd' }]), { noOverwriteDirNonDir: false });
    expect(readFileSync(join(root, 'data', 'd', 'f'), 'utf8')).toBe('hello');
    expect(statSync(join(root, 'data', 'd', 'f')).mode & 0o777).toBe(0o640);
    expect(readlinkSync(join(root, 'data', 'l'))).toBe('/etc/passwd');
    await expect(fs.untar('/data', await tarOf([{ name: '../../outside/x', data: 'bad' }]), { noOverwriteDirNonDir: false })).rejects.toMatchObject({ kind: 'invalid-parameter' });
    expect(existsSync(join(outside, 'x'))).toBe(false);
    await expect(fs.untar('/data', await tarOf([{ name: 'p', type: 'fifo' }]), { noOverwriteDirNonDir: false })).rejects.toMatchObject({ kind: 'not-implemented' });
    await expect(fs.untar('/etc/passwd', await tarOf([{ name: 'x' }]), { noOverwriteDirNonDir: false })).rejects.toMatchObject({ message: 'extraction point is not a directory' });
    await expect(fs.untar('/data', Readable.from([Buffer.from('not a tar'.repeat(100))]), { noOverwriteDirNonDir: false })).rejects.toMatchObject({ kind: 'invalid-parameter' });
  });

  it('with noOverwriteDirNonDir, refuses to put a file where a directory is', async () => {
    await expect(fs.untar('/', await tarOf([{ name: 'data', data: 'x' }]), { noOverwriteDirNonDir: true })).rejects.toMatchObject({ message: 'cannot overwrite directory data with non-directory' });
    expect(statSync(join(root, 'data')).isDirectory()).toBe(true);
  });
});
