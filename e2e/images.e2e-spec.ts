// Images through the docker 28 client against netd in a test host namespace, with a real local
// registry (Debian's docker-registry on 127.0.0.1): build with RUN (cache, failure, the busybox
// example), images, run, tag, push, rmi, pull, save/load, import, and image events.
// Needs root, runc, conmon, docker-registry and busybox-static (netd seeds busybox:latest from it).
import { describeAsRoot } from '@app/kernel/testing';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry, type TestRegistry } from '../libs/image/src/testing/registry-process';
import { type DockerNetd, ok, startDockerNetd } from './support/docker-netd';

describeAsRoot('images through the docker client', () => {
  let t: DockerNetd;
  let registry: TestRegistry;
  let work: string;
  const since = Math.floor(Date.now() / 1000) - 1;
  const d = (...args: string[]) => t.d(...args);
  const ctx = (name: string, files: Record<string, string>) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  };
  const imageIds = () => ok(d('images', '-q', '--no-trunc')).split('\n').filter(Boolean).sort();
  const buildContainers = () => ok(d('ps', '-aq', '--filter', 'label=com.netd.build.step')).trim();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'netd-t-images-'));
    registry = await startRegistry();
    // the legacy builder speaks POST /build
    t = await startDockerNetd({ bridge: 'netdi0', env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 90_000 });
  });

  afterAll(async () => {
    await t?.dispose();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('builds FROM busybox with RUN, COPY and CMD; a second build hits the cache; the image runs', () => {
    const dir = ctx('app', {
      Dockerfile: 'FROM busybox\nRUN echo built-by-run > /built.txt && rm /bin/uname && echo step-output\nCOPY greeting.txt /greeting.txt\nCMD ["cat", "/greeting.txt", "/built.txt"]\n',
      'greeting.txt': 'hello from COPY\n',
    });
    const first = ok(d('build', '-t', 'x', dir));
    expect(first).toMatch(/Step 2\/4 : RUN echo built-by-run/);
    expect(first).toMatch(/---> Running in [0-9a-f]{12}\n(.|\n)*step-output\n/);
    expect(first).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged x:latest\n/);
    const id = ok(d('images', '-q', 'x')).trim();
    expect(id).toMatch(/^[0-9a-f]{12}$/);

    const second = ok(d('build', '-t', 'x', dir));
    expect(second.match(/Using cache/g)).toHaveLength(2);
    expect(second).not.toContain('Running in');
    expect(ok(d('images', '-q', 'x')).trim()).toBe(id);

    expect(ok(d('images', '--format', '{{.Repository}}:{{.Tag}}'))).toMatch(/^x:latest$/m);
    // docker history: the steps newest first, the image id on the top row only
    const history = ok(d('history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}', 'x')).trim().split('\n');
    expect(history.slice(0, 3)).toEqual([
      `sha256:${ok(d('images', '-q', '--no-trunc', 'x')).trim().slice(7)}|CMD ["cat", "/greeting.txt", "/built.txt"]`,
      '<missing>|COPY greeting.txt /greeting.txt',
      '<missing>|RUN echo built-by-run > /built.txt && rm /bin/uname && echo step-output',
    ]);
    expect(ok(d('run', '--rm', 'x'))).toBe('hello from COPY\nbuilt-by-run\n');
    // the deleted applet link is an overlay whiteout in the step's upper dir → an OCI whiteout
    expect(d('run', '--rm', 'x', 'ls', '/bin/uname')).toMatchObject({ rc: 1 });
    expect(ok(d('run', '--rm', 'x', 'ls', '/bin/date'))).toBe('/bin/date\n');
    expect(buildContainers()).toBe('');
  });

  it('fails a build on a non-zero RUN with Docker\'s message and leaves no image or container', () => {
    const before = imageIds();
    const r = d('build', '-t', 'bad', ctx('bad', { Dockerfile: 'FROM busybox\nRUN echo about-to-fail\nRUN false\n' }));
    expect(r.rc).not.toBe(0);
    expect(r.out).toContain('about-to-fail');
    expect(r.err).toContain("The command '/bin/sh -c false' returned a non-zero code: 1");
    expect(imageIds()).toEqual(before);
    expect(buildContainers()).toBe('');
  });

  it('runs RUN steps without a network unless --network is given', () => {
    const dir = ctx('net', { Dockerfile: 'FROM busybox\nRUN ip -o link | grep -v " lo:" | wc -l > /links\nCMD ["cat", "/links"]\n' });
    ok(d('build', '-t', 'netcheck', dir));
    expect(ok(d('run', '--rm', 'netcheck')).trim()).toBe('0');
    ok(d('build', '--no-cache', '--network', 'bridge', '-t', 'netcheck', dir));
    expect(ok(d('run', '--rm', 'netcheck')).trim()).toBe('1');
    ok(d('rmi', 'netcheck'));
  });

  it('builds examples/busybox (RUN busybox --install -s in exec form)', () => {
    const dir = join(work, 'busybox');
    cpSync(join(__dirname, '../examples/busybox'), dir, { recursive: true });
    execFileSync('sh', [join(dir, 'prepare.sh'), dir], { timeout: 30_000 });
    const out = ok(d('build', '-t', 'bb-example', dir));
    expect(out).toContain('Successfully tagged bb-example:latest');
    expect(ok(d('run', '--rm', 'bb-example', 'sh', '-c', 'readlink /bin/sh; echo ok'))).toBe('/bin/busybox\nok\n');
    ok(d('rmi', 'bb-example'));
  });

  it('tag, push to the local registry, rmi, pull back: the same image runs', () => {
    const remote = `${registry.host}/x`;
    ok(d('tag', 'x', remote));
    const push = ok(d('push', remote));
    expect(push).toMatch(/latest: digest: sha256:[0-9a-f]{64} size: \d+/);
    const id = ok(d('images', '-q', '--no-trunc', 'x')).trim();
    ok(d('rmi', remote));
    ok(d('rmi', 'x'));
    expect(ok(d('images', '-q', '--no-trunc'))).not.toContain(id);
    const pull = ok(d('pull', remote));
    expect(pull).toContain('Pull complete');
    expect(pull).toMatch(/Digest: sha256:[0-9a-f]{64}/);
    expect(ok(d('images', '-q', '--no-trunc', remote)).trim()).toBe(id);
    expect(ok(d('run', '--rm', remote))).toBe('hello from COPY\nbuilt-by-run\n');
    ok(d('tag', remote, 'x'));
  });

  it('save -o, rmi, load -i gives the image back; import makes one from a rootfs tar', () => {
    const tar = join(work, 'x.tar');
    const id = ok(d('images', '-q', '--no-trunc', 'x')).trim();
    ok(d('save', '-o', tar, 'x'));
    expect(statSync(tar).size).toBeGreaterThan(1000);
    ok(d('rmi', 'x', `${registry.host}/x`));
    expect(ok(d('load', '-i', tar))).toContain('Loaded image: x:latest');
    expect(ok(d('images', '-q', '--no-trunc', 'x')).trim()).toBe(id);

    const rootfs = join(work, 'rootfs');
    mkdirSync(join(rootfs, 'etc'), { recursive: true });
    writeFileSync(join(rootfs, 'etc', 'imported'), 'yes\n');
    execFileSync('tar', ['-C', rootfs, '-cf', join(work, 'rootfs.tar'), '.'], { timeout: 10_000 });
    const imported = ok(d('import', join(work, 'rootfs.tar'), 'imp:1')).trim();
    expect(imported).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(d('image', 'inspect', '--format', '{{.Id}}', 'imp:1')).trim()).toBe(imported);
  });

  it('reports image events for the window asked', () => {
    const until = Math.floor(Date.now() / 1000) + 1;
    const out = ok(d('events', '--since', String(since), '--until', String(until), '--filter', 'type=image', '--format', '{{.Action}}'));
    const actions = new Set(out.split('\n').filter(Boolean));
    for (const a of ['tag', 'push', 'untag', 'delete', 'pull', 'save', 'load', 'import']) expect(actions).toContain(a);
  });
});
