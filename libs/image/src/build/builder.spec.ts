import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Images } from '../images';
import { packLayer } from '../layers/layer-writer';
import { walkLayer } from '../layers/layer-tar';
import { chainIds } from '../oci';
import { MemoryImageStore } from '../store/memory-image-store';
import { MemoryBuildCache } from './build-cache';
import { BuildStepRunner, type RunStep } from './build-step-runner.port';
import { buildImage } from './builder';

class RecordingRunner extends BuildStepRunner {
  readonly steps: RunStep[] = [];
  async run(step: RunStep) {
    this.steps.push(step);
    const layer = await packLayer([{ path: 'ran', type: 'file', data: Buffer.from(step.argv.join(' ')) }]);
    return { diff: Readable.from([layer.tar]) };
  }
}

describe('buildImage', () => {
  let ctx: string;
  let store: MemoryImageStore;
  let images: Images;
  const write = (path: string, text: string) => {
    mkdirSync(join(ctx, path, '..'), { recursive: true });
    writeFileSync(join(ctx, path), text);
  };
  const entriesOf = async (manifestDigest: string, layer: number) => {
    await store.unpack(manifestDigest);
    const img = await store.getImage(manifestDigest);
    const chain = chainIds((await store.readConfig(img!.configDigest)).rootfs.diff_ids);
    return [...(store.layerEntries(chain[layer])?.keys() ?? [])].sort();
  };

  beforeEach(() => {
    ctx = mkdtempSync(join(tmpdir(), 'netd-build-'));
    store = new MemoryImageStore();
    images = new Images(store);
  });
  afterEach(() => rmSync(ctx, { recursive: true, force: true }));

  it('builds config and layers from FROM scratch, ARG, ENV, LABEL, WORKDIR, USER, COPY, EXPOSE, CMD', async () => {
    write('Dockerfile', [
      'ARG VERSION=1',
      'FROM scratch',
      'ARG VERSION',
      'ENV APP=/app NAME="my app"',
      'LABEL version=$VERSION',
      'WORKDIR $APP',
      'COPY hello.txt ./',
      'COPY dir /opt/dir',
      'USER 1000:1000',
      'EXPOSE 8080 53/udp',
      'ENTRYPOINT ["/bin/app"]',
      'CMD ["--serve"]',
    ].join('\n'));
    write('hello.txt', 'hi');
    write('dir/a', 'a');
    write('dir/sub/b', 'b');
    const lines: string[] = [];
    const { image, tags } = await buildImage(images, { context: ctx, tags: ['app:dev'], buildArgs: { VERSION: '2', UNUSED: 'x' }, onOutput: (l) => lines.push(l) });
    expect(tags).toEqual(['docker.io/library/app:dev']);
    const config = await store.readConfig(image.configDigest);
    expect(config.config).toEqual({
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP=/app', 'NAME=my app'],
      Labels: { version: '2' },
      WorkingDir: '/app',
      User: '1000:1000',
      ExposedPorts: { '8080/tcp': {}, '53/udp': {} },
      Entrypoint: ['/bin/app'],
      Cmd: ['--serve'],
    });
    expect(config.rootfs.diff_ids).toHaveLength(2);
    expect(config.history?.filter((h) => !h.empty_layer).map((h) => h.created_by)).toEqual(['COPY hello.txt ./', 'COPY dir /opt/dir']);
    expect(await entriesOf(image.manifestDigest, 0)).toEqual(['app', 'app/hello.txt']);
    expect(await entriesOf(image.manifestDigest, 1)).toEqual(['opt', 'opt/dir', 'opt/dir/a', 'opt/dir/sub', 'opt/dir/sub/b']);
    expect(lines[0]).toBe('Step 1/12 : ARG VERSION=1\n');
    expect(lines).toContain('[Warning] One or more build-args [UNUSED] were not consumed\n');
  });

  it('records HEALTHCHECK in the config (the last one wins, NONE too)', async () => {
    write('Dockerfile', ['FROM scratch', 'HEALTHCHECK --interval=2s CMD ["/bin/check"]', 'HEALTHCHECK --retries=5 CMD test -f /ok'].join('\n'));
    const { image } = await buildImage(images, { context: ctx, tags: ['hc:1'] });
    expect((await store.readConfig(image.configDigest)).config?.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /ok'], Retries: 5 });
    write('Dockerfile', ['FROM hc:1', 'HEALTHCHECK NONE'].join('\n'));
    const { image: off } = await buildImage(images, { context: ctx, tags: ['hc:2'] });
    expect((await store.readConfig(off.configDigest)).config?.Healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('reuses cached layers until an input file changes', async () => {
    write('Dockerfile', 'FROM scratch\nCOPY a /a\nCOPY b /b\n');
    write('a', '1');
    write('b', '1');
    const cache = new MemoryBuildCache();
    const first = await buildImage(images, { context: ctx, cache });
    const lines: string[] = [];
    const second = await buildImage(images, { context: ctx, cache, onOutput: (l) => lines.push(l) });
    expect(lines.filter((l) => l.includes('Using cache'))).toHaveLength(2);
    const layers = async (d: string) => (await store.readManifest(d)).layers.map((l) => l.digest);
    expect(await layers(second.image.manifestDigest)).toEqual(await layers(first.image.manifestDigest));
    write('b', '2');
    const third = await buildImage(images, { context: ctx, cache });
    const [l1, l2] = await layers(third.image.manifestDigest);
    expect(l1).toBe((await layers(first.image.manifestDigest))[0]);
    expect(l2).not.toBe((await layers(first.image.manifestDigest))[1]);
  });

  it('leaves out what .dockerignore excludes', async () => {
    write('Dockerfile', 'FROM scratch\nCOPY . /src/\n');
    write('.dockerignore', '*.secret\nnode_modules\n');
    write('main.ts', 'x');
    write('key.secret', 'x');
    write('node_modules/m/index.js', 'x');
    const { image } = await buildImage(images, { context: ctx });
    expect(await entriesOf(image.manifestDigest, 0)).toEqual(['src', 'src/.dockerignore', 'src/Dockerfile', 'src/main.ts']);
  });

  it("reads .dockerignore with Docker's pattern syntax: character classes, ** and re-includes", async () => {
    write('Dockerfile', 'FROM scratch\nCOPY . /src/\n');
    write('.dockerignore', '[ab].txt\n**/*.tmp\n!deep/keep.tmp\n');
    for (const f of ['a.txt', 'b.txt', 'c.txt', 'deep/x.tmp', 'deep/keep.tmp']) write(f, 'x');
    const { image } = await buildImage(images, { context: ctx });
    expect(await entriesOf(image.manifestDigest, 0)).toEqual(['src', 'src/.dockerignore', 'src/Dockerfile', 'src/c.txt', 'src/deep', 'src/deep/keep.tmp']);
  });

  it('extracts a local tar archive with ADD', async () => {
    const tar = await packLayer([{ path: 'etc', type: 'directory' }, { path: 'etc/conf', type: 'file', data: Buffer.from('c') }]);
    writeFileSync(join(ctx, 'rootfs.tar.gz'), tar.gzip);
    write('Dockerfile', 'FROM scratch\nADD rootfs.tar.gz /\n');
    const { image } = await buildImage(images, { context: ctx });
    expect(await entriesOf(image.manifestDigest, 0)).toEqual(['etc', 'etc/conf']);
  });

  it('builds on a local base image and hands RUN to the step runner', async () => {
    write('Dockerfile', 'FROM scratch\nCOPY a /a\nENV X=1\n');
    write('a', '1');
    await buildImage(images, { context: ctx, tags: ['base:1'] });
    write('Dockerfile', 'FROM base:1\nRUN echo hi\nRUN ["/bin/true"]\n');
    const runner = new RecordingRunner();
    const { image } = await buildImage(images, { context: ctx, runner, network: 'none' });
    expect(runner.steps.map((s) => s.argv)).toEqual([['/bin/sh', '-c', 'echo hi'], ['/bin/true']]);
    expect(runner.steps[0]).toMatchObject({ env: expect.arrayContaining(['X=1']), network: 'none', workdir: '/' });
    expect(runner.steps[1].lowerDirs).toHaveLength(2);
    expect((await store.readConfig(image.configDigest)).rootfs.diff_ids).toHaveLength(3);
  });

  it('hands each RUN the image so far by id, and removes those intermediate images afterwards', async () => {
    write('Dockerfile', 'FROM scratch\nCOPY a /a\nRUN one\nRUN two\n');
    write('a', '1');
    const runner = new RecordingRunner();
    const seen: string[] = [];
    const orig = runner.run.bind(runner);
    runner.run = async (step) => {
      seen.push((await images.resolve(step.image)).configDigest);
      return orig(step);
    };
    const { image } = await buildImage(images, { context: ctx, runner, cache: new MemoryBuildCache(), tags: ['r:1'] });
    expect(seen).toEqual(runner.steps.map((s) => s.image));
    expect(new Set(seen).size).toBe(2);
    expect((await store.listImages()).map((i) => i.manifestDigest)).toEqual([image.manifestDigest]);
  });

  it('gives the same image id when every step hits the cache', async () => {
    write('Dockerfile', 'FROM scratch\nCOPY a /a\nRUN one\nCMD ["x"]\n');
    write('a', '1');
    const cache = new MemoryBuildCache();
    const runner = new RecordingRunner();
    const first = await buildImage(images, { context: ctx, runner, cache, tags: ['c:1'] });
    await new Promise((r) => setTimeout(r, 5));
    const lines: string[] = [];
    const second = await buildImage(images, { context: ctx, runner, cache, tags: ['c:1'], onOutput: (l) => lines.push(l) });
    expect(lines.filter((l) => l.includes('Using cache'))).toHaveLength(2);
    expect(runner.steps).toHaveLength(1);
    expect(second.image.configDigest).toBe(first.image.configDigest);
  });

  describe('symlinks in the context resolve inside it', () => {
    let outside: string;
    const SECRET = 'host-secret-1f2e3d';
    beforeEach(() => {
      outside = mkdtempSync(join(tmpdir(), 'netd-outside-'));
      writeFileSync(join(outside, 'Dockerfile'), `FROM scratch\nLABEL leaked=${SECRET}\n`);
      writeFileSync(join(outside, 'secret'), SECRET);
      writeFileSync(join(outside, 'ignore'), 'a\n');
    });
    afterEach(() => rmSync(outside, { recursive: true, force: true }));
    /** path → content of the files in one layer of an image. */
    const filesOf = async (manifestDigest: string, layer: number) => {
      const m = await store.readManifest(manifestDigest);
      const out: Record<string, string> = {};
      await walkLayer(await store.openBlob(m.layers[layer].digest), async (h, meaning, body) => {
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c as Buffer);
        if (meaning.kind === 'plain' && h.type === 'file') out[meaning.path] = Buffer.concat(chunks).toString();
      });
      return out;
    };
    const expectNoImage = async () => {
      expect(await store.listImages()).toEqual([]);
      expect((await store.gc()).blobs).toEqual([]);
    };

    it.each([
      { name: 'an absolute link to a host Dockerfile', link: () => join(outside, 'Dockerfile') },
      { name: 'a relative link climbing out', link: () => `../../../../../../../..${join(outside, 'Dockerfile')}` },
    ])('does not build from $name', async ({ link }) => {
      symlinkSync(link(), join(ctx, 'Dockerfile'));
      await expect(buildImage(images, { context: ctx })).rejects.toMatchObject({
        kind: 'invalid-parameter', message: 'failed to read dockerfile: open Dockerfile: no such file or directory',
      });
      await expectNoImage();
    });

    it('does not echo a host file named by a Dockerfile symlink', async () => {
      symlinkSync(join(outside, 'secret'), join(ctx, 'Dockerfile'));
      const err = await buildImage(images, { context: ctx }).catch((e: Error) => e);
      expect(err).toMatchObject({ kind: 'invalid-parameter' });
      expect((err as Error).message).not.toContain(SECRET);
    });

    it('follows a Dockerfile symlink to a file of the context, the context being the root', async () => {
      write('sub/real.Dockerfile', 'FROM scratch\nLABEL from=inside\n');
      symlinkSync('/sub/real.Dockerfile', join(ctx, 'Dockerfile'));
      symlinkSync('../../../sub/../sub/real.Dockerfile', join(ctx, 'Other'));
      for (const dockerfile of ['Dockerfile', 'Other', '/Other']) {
        const { image } = await buildImage(images, { context: ctx, dockerfile });
        expect((await store.readConfig(image.configDigest)).config?.Labels).toEqual({ from: 'inside' });
      }
    });

    it.each(['../Dockerfile', 'sub/../../Dockerfile', '..'])('refuses dockerfile=%s', async (dockerfile) => {
      await expect(buildImage(images, { context: ctx, dockerfile })).rejects.toMatchObject({ kind: 'invalid-parameter', message: expect.stringContaining('must be within the build context') });
    });

    it('refuses a Dockerfile that is a fifo instead of waiting on it', async () => {
      execFileSync('mkfifo', [join(ctx, 'Dockerfile')]);
      await expect(buildImage(images, { context: ctx })).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'the Dockerfile Dockerfile is not a regular file' });
    });

    it('does not read .dockerignore through a symlink out of the context', async () => {
      write('Dockerfile', 'FROM scratch\nCOPY a /a\n');
      write('a', 'inside');
      symlinkSync(join(outside, 'ignore'), join(ctx, '.dockerignore'));
      const { image } = await buildImage(images, { context: ctx });
      expect(await filesOf(image.manifestDigest, 0)).toEqual({ a: 'inside' });
    });

    it('resolves COPY sources through symlinked directories inside the context', async () => {
      write('Dockerfile', 'FROM scratch\nCOPY d/secret /x\nCOPY up/up/etc/secret /y\nCOPY s /z\n');
      write(`${outside.slice(1)}/secret`, 'inside-copy');
      write('etc/secret', 'inside-etc');
      symlinkSync(outside, join(ctx, 'd'));
      symlinkSync('../..', join(ctx, 'up'));
      symlinkSync(join(outside, 'secret'), join(ctx, 's'));
      symlinkSync(`/${outside.slice(1)}/secret`, join(ctx, 'inner'));
      const { image } = await buildImage(images, { context: ctx });
      expect(await filesOf(image.manifestDigest, 0)).toEqual({ x: 'inside-copy' });
      expect(await filesOf(image.manifestDigest, 1)).toEqual({ y: 'inside-etc' });
      expect(await filesOf(image.manifestDigest, 2)).toEqual({ z: 'inside-copy' });
    });

    it('copies a symlink inside a copied directory as a link, never its host target', async () => {
      write('Dockerfile', 'FROM scratch\nCOPY dir /dir\n');
      write('dir/a', 'a');
      symlinkSync(join(outside, 'secret'), join(ctx, 'dir', 'link'));
      const { image } = await buildImage(images, { context: ctx });
      expect(await filesOf(image.manifestDigest, 0)).toEqual({ 'dir/a': 'a' });
      expect(await entriesOf(image.manifestDigest, 0)).toEqual(['dir', 'dir/a', 'dir/link']);
    });

    it('refuses a COPY source in a symlink loop', async () => {
      write('Dockerfile', 'FROM scratch\nCOPY loop/x /x\n');
      symlinkSync('loop2', join(ctx, 'loop'));
      symlinkSync('loop', join(ctx, 'loop2'));
      await expect(buildImage(images, { context: ctx })).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'loop/x: too many levels of symbolic links' });
      await expectNoImage();
    });
  });

  describe('bad input changes nothing', () => {
    const cases = [
      { name: 'an unknown instruction', df: 'FROM scratch\nFETCH x\n', kind: 'invalid-parameter', message: 'dockerfile parse error on line 2: unknown instruction: FETCH' },
      { name: 'no FROM', df: 'COPY a /a\n', kind: 'invalid-parameter', message: 'no build stage in current context' },
      { name: 'COPY from outside the context', df: 'FROM scratch\nCOPY a /a\nCOPY ../outside /x\n', kind: 'invalid-parameter', message: 'line 3: COPY/ADD source ../outside is outside the build context' },
      { name: 'COPY through a symlink out of the context', df: 'FROM scratch\nCOPY a /a\nCOPY link /x\n', kind: 'invalid-parameter', message: 'line 3: failed to compute cache key: "/link": not found' },
      { name: 'a missing source', df: 'FROM scratch\nCOPY nope /x\n', kind: 'invalid-parameter', message: 'line 2: failed to compute cache key: "/nope": not found' },
      { name: 'RUN without a runner', df: 'FROM scratch\nCOPY a /a\nRUN true\n', kind: 'not-implemented', message: 'line 3: RUN is not supported yet: no build step runner (the container core provides one)' },
      { name: 'an unknown base image', df: 'FROM nothing:here\n', kind: 'not-found', message: 'No such image: nothing:here' },
      { name: 'a bad port', df: 'FROM scratch\nEXPOSE 99999\n', kind: 'invalid-parameter', message: 'dockerfile parse error on line 2: invalid containerPort: 99999' },
    ];
    it.each(cases)('$name', async ({ df, kind, message }) => {
      write('Dockerfile', df);
      write('a', 'a');
      symlinkSync('/etc/passwd', join(ctx, 'link'));
      await expect(buildImage(images, { context: ctx, tags: ['t:1'] })).rejects.toMatchObject({ kind, message });
      expect(await store.listImages()).toEqual([]);
      expect((await store.gc()).blobs).toEqual([]);
    });

    it('rejects a malformed tag before building', async () => {
      write('Dockerfile', 'FROM scratch\nCOPY a /a\n');
      write('a', 'a');
      await expect(buildImage(images, { context: ctx, tags: ['Bad:Tag'] })).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'invalid reference format: repository name must be lowercase' });
      expect((await store.gc()).blobs).toEqual([]);
    });
  });
});
