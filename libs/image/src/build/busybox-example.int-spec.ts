import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Images } from '../images';
import { FileImageStore } from '../store/file-image-store';
import { buildImage } from './builder';

const EXAMPLE = join(__dirname, '../../../../examples/busybox');

describe('examples/busybox', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'netd-busybox-'));
    cpSync(EXAMPLE, join(work, 'ctx'), { recursive: true });
    execFileSync('sh', [join(work, 'ctx', 'prepare.sh'), join(work, 'ctx')], { timeout: 30_000 });
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('builds Dockerfile.norun into a runnable busybox image', async () => {
    const store = new FileImageStore(join(work, 'store'));
    const images = new Images(store);
    const { image } = await buildImage(images, { context: join(work, 'ctx'), dockerfile: 'Dockerfile.norun', tags: ['busybox:latest'] });
    expect((await images.resolve('busybox')).manifestDigest).toBe(image.manifestDigest);
    const [lower] = await store.unpack(image.manifestDigest);
    expect(readlinkSync(join(lower, 'bin/sh'))).toBe('/bin/busybox');
    expect(readlinkSync(join(lower, 'usr/bin/wget'))).toBe('/bin/busybox');
    expect(execFileSync(join(lower, 'bin/busybox'), ['echo', 'ok'], { timeout: 5000 }).toString()).toBe('ok\n');
    expect((await store.readConfig(image.configDigest)).config?.Cmd).toEqual(['sh']);
  });

  it('parses Dockerfile and asks for a step runner for its RUN', async () => {
    const store = new FileImageStore(join(work, 'store2'));
    await expect(buildImage(new Images(store), { context: join(work, 'ctx') })).rejects.toMatchObject({
      kind: 'not-implemented', message: expect.stringContaining('RUN is not supported yet'),
    });
    expect(await store.listImages()).toEqual([]);
  });
});
