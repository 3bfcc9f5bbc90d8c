import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Images } from '../images';
import { FileImageStore } from '../store/file-image-store';
import { dir, file, makeImage } from '../testing/fixtures';
import { loadImages, saveImages } from './docker-archive';

// skopeo (containers/image) is the oracle: it reads what we write and writes what we read.
const skopeo = (args: string[]) => execFileSync('skopeo', ['--insecure-policy', ...args], { timeout: 30_000 }).toString();

describe('docker archives and the OCI layout, checked with skopeo', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'netd-img-arch-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('writes a docker-archive skopeo can copy, and a store skopeo can read as OCI layout', async () => {
    const store = new FileImageStore(join(work, 'store'));
    const img = await makeImage(store, [[dir('etc'), file('etc/a', 'a')], [file('b', 'b')]]);
    const images = new Images(store);
    await images.tag(img.configDigest, 'saved:1');
    await pipeline(await saveImages(images, ['saved:1']), createWriteStream(join(work, 'saved.tar')));
    const inspected = JSON.parse(skopeo(['inspect', `docker-archive:${join(work, 'saved.tar')}`]));
    expect(inspected.RepoTags ?? []).toEqual(expect.any(Array));
    expect(inspected.Layers).toHaveLength(2);
    skopeo(['copy', `docker-archive:${join(work, 'saved.tar')}`, `oci:${join(work, 'oci')}:x`]);

    const config = JSON.parse(skopeo(['inspect', '--config', `oci:${store.root}:1`]));
    expect(config.rootfs.diff_ids).toEqual((await store.readConfig(img.configDigest)).rootfs.diff_ids);
  });

  it('loads a docker-archive written by skopeo', async () => {
    const src = new FileImageStore(join(work, 'src'));
    const img = await makeImage(src, [[file('hello', 'world')]]);
    await src.setTag('docker.io/library/fromskopeo:latest', img.manifestDigest);
    skopeo(['copy', `oci:${src.root}:latest`, `docker-archive:${join(work, 'sk.tar')}:fromskopeo:latest`]);
    const dst = new FileImageStore(join(work, 'dst'));
    const loaded = await loadImages(dst, createReadStream(join(work, 'sk.tar')));
    expect(loaded.map((l) => l.image.configDigest)).toEqual([img.configDigest]);
    expect(loaded[0].tags).toEqual(['docker.io/library/fromskopeo:latest']);
    expect(await dst.unpack(loaded[0].image.manifestDigest)).toHaveLength(1);
  });
});
