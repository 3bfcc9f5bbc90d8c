import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAsRoot } from '../testing/as-root';
import { describeImageStoreContract } from '../testing/image-store.contract';
import { dir, file, makeImage } from '../testing/fixtures';
import { FileImageStore } from './file-image-store';

let root = '';
describeImageStoreContract(
  'FileImageStore',
  async () => {
    root = mkdtempSync(join(tmpdir(), 'netd-img-'));
    return new FileImageStore(root);
  },
  async () => rmSync(root, { recursive: true, force: true }),
);

describeAsRoot(`${FileImageStore.name} on disk`, () => {
  let dataRoot: string;
  let store: FileImageStore;
  beforeEach(() => {
    dataRoot = mkdtempSync(join(tmpdir(), 'netd-img-'));
    store = new FileImageStore(join(dataRoot, 'image'));
  });
  afterEach(() => rmSync(dataRoot, { recursive: true, force: true }));

  it('writes an OCI image layout that lists tagged images', async () => {
    const img = await makeImage(store, [[file('hello', 'hi')]]);
    await store.setTag('docker.io/library/hello:latest', img.manifestDigest);
    const r = join(dataRoot, 'image');
    expect(JSON.parse(readFileSync(join(r, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(r, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([expect.objectContaining({
      digest: img.manifestDigest,
      annotations: { 'io.containerd.image.name': 'docker.io/library/hello:latest', 'org.opencontainers.image.ref.name': 'latest' },
    })]);
    expect(existsSync(join(r, 'blobs', 'sha256', img.configDigest.slice(7)))).toBe(true);
    const reopened = new FileImageStore(r);
    expect(await reopened.listTags()).toEqual([{ name: 'docker.io/library/hello:latest', manifestDigest: img.manifestDigest }]);
  });

  it('unpacks files, modes, symlinks, hard links and overlay whiteouts', async () => {
    const img = await makeImage(store, [[
      dir('bin'),
      file('bin/tool', '#!/bin/sh\n', 0o755),
      { path: 'bin/sh', type: 'symlink', linkname: '/bin/tool' },
      { path: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      dir('etc'),
      file('etc/.wh.passwd', ''),
      dir('var'),
      file('var/.wh..wh..opq', ''),
      file('var/new', 'n'),
    ]]);
    const [lower] = await store.unpack(img.manifestDigest);
    expect(lstatSync(join(lower, 'bin/tool')).mode & 0o7777).toBe(0o755);
    expect(readlinkSync(join(lower, 'bin/sh'))).toBe('/bin/tool');
    expect(lstatSync(join(lower, 'bin/hard')).ino).toBe(lstatSync(join(lower, 'bin/tool')).ino);
    const wh = lstatSync(join(lower, 'etc/passwd'));
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(existsSync(join(lower, 'etc/.wh.passwd'))).toBe(false);
    const getxattr = 'import os,sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque").decode(), end="")';
    expect(execFileSync('python3', ['-c', getxattr, join(lower, 'var')]).toString()).toBe('y');
    expect(readdirSync(join(lower, 'var'))).toEqual(['new']);
  });

  it('gives overlayfs the view of the top layer (whiteouts hide, opaque dirs replace)', async () => {
    const img = await makeImage(store, [
      [dir('etc'), file('etc/passwd', 'root'), file('etc/group', 'g'), dir('var'), file('var/old', 'o')],
      [dir('etc'), file('etc/.wh.passwd', ''), dir('var'), file('var/.wh..wh..opq', ''), file('var/new', 'n')],
    ]);
    const lowers = await store.unpack(img.manifestDigest);
    const merged = join(dataRoot, 'merged');
    // A private mount namespace: the mount disappears with the process, even if the test fails.
    const script = `mkdir -p ${merged} && mount -t overlay overlay -o lowerdir=${[...lowers].reverse().join(':')} ${merged} && ls -A ${merged}/etc ${merged}/var`;
    const out = execFileSync('unshare', ['-m', 'sh', '-c', script], { timeout: 10_000 }).toString();
    expect(out.split('\n').filter(Boolean)).toEqual([`${merged}/etc:`, 'group', '', `${merged}/var:`, 'new'].filter(Boolean));
  });

  it.each([
    { name: 'a ../ entry', files: [file('../escape', 'x')], message: 'points outside the layer root' },
    { name: 'a nested ../ entry', files: [dir('a'), file('a/../../escape', 'x')], message: 'points outside the layer root' },
    { name: 'a write through a symlink', files: [{ path: 'link', type: 'symlink' as const, linkname: '/tmp' }, file('link/escape', 'x')], message: 'goes through a symlink' },
  ])('refuses $name, writes nothing outside and leaves no layer', async ({ files, message }) => {
    const img = await makeImage(store, [files]);
    await expect(store.unpack(img.manifestDigest)).rejects.toMatchObject({ kind: 'invalid-parameter', message: expect.stringContaining(message) });
    expect(existsSync(join(dataRoot, 'escape'))).toBe(false);
    expect(existsSync('/tmp/escape')).toBe(false);
    expect(readdirSync(join(dataRoot, 'image', 'layers'))).toEqual([]);
  });
});
