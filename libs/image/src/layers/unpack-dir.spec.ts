import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { paxEntry, rawTar } from '../testing/hostile-tar';
import { unpackLayerToDir } from './unpack-dir';

describe('unpackLayerToDir on hostile build contexts', () => {
  let work: string;
  let outside: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'netd-unpack-'));
    outside = mkdtempSync(join(tmpdir(), 'netd-outside-'));
    writeFileSync(join(outside, 'f'), 'host');
    utimesSync(outside, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
  });
  afterEach(() => {
    rmSync(work, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  const unpack = (tar: Buffer) => unpackLayerToDir(Readable.from([tar]), join(work, 'ctx'), { preserveOwners: false, context: true });

  it('answers a file that claims 8 GiB but ends after 100 bytes with unexpected EOF, at once', async () => {
    const started = Date.now();
    await expect(unpack(rawTar([{ name: 'Dockerfile', size: 8 * 1024 ** 3, data: Buffer.alloc(100, 65) }], false))).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'unexpected EOF' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('does not follow a symlink that replaced a directory when setting directory times', async () => {
    const before = statSync(outside).mtimeMs;
    await unpack(rawTar([{ name: 'd/', type: '5' }, { name: 'd', type: '2', linkname: outside }]));
    expect(lstatSync(join(work, 'ctx', 'd')).isSymbolicLink()).toBe(true);
    expect(statSync(outside).mtimeMs).toBe(before);
  });

  it('refuses a hard link whose source goes through a symlink', async () => {
    const tar = rawTar([{ name: 'a/', type: '5' }, { name: 'a/f', data: Buffer.from('x') }, { name: 'a', type: '2', linkname: outside }, { name: 'x', type: '1', linkname: 'a/f' }]);
    await expect(unpack(tar)).rejects.toMatchObject({ kind: 'invalid-parameter' });
    expect(existsSync(join(work, 'ctx', 'x'))).toBe(false);
    expect(statSync(join(outside, 'f')).nlink).toBe(1);
  });

  it.each([
    { name: 'a device node', tar: () => rawTar([{ name: 'sda', type: '4', devmajor: 8, devminor: 0 }]), message: 'build context entry "sda": device nodes are not allowed in a build context' },
    { name: 'a hard link to a missing file', tar: () => rawTar([{ name: 'x', type: '1', linkname: 'nope' }]), message: 'invalid hardlink "x" -> "nope": no such file in the layer' },
    { name: 'a hard link to itself', tar: () => rawTar([{ name: 'x', data: Buffer.from('1') }, { name: 'x', type: '1', linkname: 'x' }]), message: /tar entry "x": cannot be written \(ENOENT\)/ },
    { name: 'a hard link to /etc/passwd', tar: () => rawTar([{ name: 'x', type: '1', linkname: '/etc/passwd' }]), message: 'invalid hardlink "x" -> "/etc/passwd": no such file in the layer' },
    { name: 'a name with ..', tar: () => rawTar([{ name: 'a/../../x', data: Buffer.from('1') }]), message: 'tar entry "a/../../x" points outside the layer root' },
    { name: 'a 300-byte name', tar: () => rawTar([paxEntry({ path: 'n'.repeat(300) }), { name: 'x', data: Buffer.from('1') }]), message: /file name too long/ },
    { name: 'a NUL in a name', tar: () => rawTar([paxEntry({ path: 'a\0b' }), { name: 'x', data: Buffer.from('1') }]), message: 'tar entry "a\\u0000b": NUL byte in name' },
    { name: 'a symlink without a target', tar: () => rawTar([{ name: 's', type: '2' }]), message: 'tar entry "s": symlink without a target' },
    { name: 'a file under a file', tar: () => rawTar([{ name: 'f', data: Buffer.from('1') }, { name: 'f/g', data: Buffer.from('1') }]), message: 'tar entry "f/g": f is not a directory' },
  ])('refuses $name with a 400', async ({ tar, message }) => {
    await expect(unpack(tar())).rejects.toMatchObject({ kind: 'invalid-parameter', message: typeof message === 'string' ? message : expect.stringMatching(message) });
    expect(readdirSync(outside)).toEqual(['f']);
  });

  it('writes whiteout names of a context as plain files', async () => {
    await unpack(rawTar([{ name: '.wh.x', data: Buffer.from('1') }, { name: 'd/.wh..wh..opq', data: Buffer.from('2') }]));
    expect(readdirSync(join(work, 'ctx')).sort()).toEqual(['.wh.x', 'd']);
    expect(lstatSync(join(work, 'ctx', 'd', '.wh..wh..opq')).isFile()).toBe(true);
  });
});
