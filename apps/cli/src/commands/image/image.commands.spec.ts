import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';
import { packContext } from './build-context';

const BUSY = 'sha256:' + 'ab'.repeat(32);
const WEB = 'sha256:' + 'cd'.repeat(32);

function daemon(): FakeNetdClient {
  const fake = new FakeNetdClient();
  const now = Date.now();
  fake.addImage('busybox:latest', { id: BUSY, size: 4_261_550, created: now - 3 * 86_400_000 });
  const web = fake.addImage('127.0.0.1:5000/team/web:1.0', { id: WEB, size: 1_234, created: now - 2 * 3_600_000 });
  web.tags.push('docker.io/library/web:latest');
  return fake;
}

describe('images', () => {
  it("prints docker's table: one row per tag, 12-char ids, human sizes and ages", async () => {
    expect(await runNetctl(['images'], daemon())).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'REPOSITORY                TAG       IMAGE ID       CREATED       SIZE',
        `busybox                   latest    ${BUSY.slice(7, 19)}   3 days ago    4.26MB`,
        `127.0.0.1:5000/team/web   1.0       ${WEB.slice(7, 19)}   2 hours ago   1.23kB`,
        `web                       latest    ${WEB.slice(7, 19)}   2 hours ago   1.23kB`,
        '',
      ].join('\n'),
    });
  });

  it('-q, --no-trunc, --digests, --format and the repository argument', async () => {
    const fake = daemon();
    expect((await runNetctl(['images', '-q'], fake)).stdout).toBe(`${BUSY.slice(7, 19)}\n${WEB.slice(7, 19)}\n${WEB.slice(7, 19)}\n`);
    expect((await runNetctl(['images', '--no-trunc', '--format', '{{.ID}}', 'busybox'], fake)).stdout).toBe(`${BUSY}\n`);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'listImages', filters: { reference: ['busybox'] } });
    expect((await runNetctl(['images', '--digests', 'busybox'], fake)).stdout.split('\n')[0]).toBe('REPOSITORY   TAG       DIGEST    IMAGE ID       CREATED      SIZE');
    expect((await runNetctl(['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}'], fake)).stdout).toBe('busybox:latest 4.26MB\n127.0.0.1:5000/team/web:1.0 1.23kB\nweb:latest 1.23kB\n');
    expect((await runNetctl(['images', '--format', 'json', 'busybox'], fake)).stdout).toMatch(/^\{"Containers":"N\/A","CreatedAt":".*","CreatedSince":"3 days ago","Digest":"\\u003cnone\\u003e","ID":"abababababab","Repository":"busybox",.*"Size":"4.26MB","Tag":"latest",.*\}\n$/);
  });
});

describe('pull, push, tag, rmi', () => {
  it("pull prints docker's non-TTY lines and the full reference", async () => {
    const fake = new FakeNetdClient();
    const r = await runNetctl(['pull', 'busybox'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      'Using default tag: latest',
      'latest: Pulling from library/busybox',
      '9ad63333ebc9: Pulling fs layer',
      '9ad63333ebc9: Download complete',
      '9ad63333ebc9: Pull complete',
      expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/),
      'Status: Downloaded newer image for busybox:latest',
      'docker.io/library/busybox:latest',
      '',
    ]);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'pullImage', target: 'busybox', body: { tag: 'latest' } });
    expect(await runNetctl(['pull', 'nosuch:1'], fake)).toEqual({
      code: 1,
      stdout: '',
      stderr: "Error response from daemon: pull access denied for nosuch, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n",
    });
    expect(await runNetctl(['pull', 'Bad Name'], fake)).toEqual({ code: 1, stdout: '', stderr: 'invalid reference format: Bad Name\n' });
  });

  // The CLI reads references with the daemon's parser, so it refuses what the daemon would.
  it.each(['busybox@sha256:abc', `${'a'.repeat(256)}:1`, 'bad_host!/x'])('pull refuses %s before asking the daemon', async (ref) => {
    const fake = new FakeNetdClient();
    expect(await runNetctl(['pull', ref], fake)).toEqual({ code: 1, stdout: '', stderr: `invalid reference format: ${ref}\n` });
    expect(fake.requests.filter((r) => r.method === 'pullImage')).toEqual([]);
  });

  it('an error inside the progress stream ends the command with its message', async () => {
    const fake = new FakeNetdClient();
    fake.pullImage = async () =>
      (async function* () {
        yield { status: 'Pulling fs layer', id: 'aaa' };
        yield { errorDetail: { message: 'unexpected EOF' }, error: 'unexpected EOF' };
      })();
    expect(await runNetctl(['pull', 'busybox:1'], fake)).toEqual({ code: 1, stdout: 'aaa: Pulling fs layer\n', stderr: 'unexpected EOF\n' });
  });

  it('tag splits the target; push streams; rmi prints Untagged/Deleted and reports errors', async () => {
    const fake = daemon();
    expect(await runNetctl(['tag', 'busybox', '127.0.0.1:5000/busybox:v1'], fake)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'tagImage', target: 'busybox', body: { repo: '127.0.0.1:5000/busybox', tag: 'v1' } });
    const push = await runNetctl(['push', '127.0.0.1:5000/busybox:v1'], fake);
    expect(push.stdout).toBe(`The push refers to repository [127.0.0.1:5000/busybox]\n${BUSY.slice(7, 19)}: Pushed\nv1: digest: ${BUSY} size: 527\n`);
    expect(await runNetctl(['rmi', '127.0.0.1:5000/busybox:v1'], fake)).toEqual({ code: 0, stdout: 'Untagged: 127.0.0.1:5000/busybox:v1\n', stderr: '' });
    expect(await runNetctl(['rmi', 'busybox', 'nothere'], fake)).toEqual({ code: 1, stdout: `Untagged: busybox:latest\nDeleted: ${BUSY}\n`, stderr: 'Error response from daemon: No such image: nothere\n' });
  });
});

describe('build, save, load, import', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netctl-build-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function entries(tar: AsyncIterable<Uint8Array>): Promise<string[]> {
    const { extract } = await import('tar-stream');
    const ex = extract();
    const names: string[] = [];
    const done = (async () => {
      for await (const e of ex) {
        names.push(e.header.name);
        e.resume();
      }
    })();
    for await (const c of tar) ex.write(c);
    ex.end(undefined);
    await done;
    return names.sort();
  }

  it('packs the context with .dockerignore applied, keeping Dockerfile and .dockerignore', async () => {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(dir, '.dockerignore'), '# comment\n*.log\nsecret/\n!keep.log\nDockerfile\n');
    writeFileSync(join(dir, 'a.log'), 'x');
    writeFileSync(join(dir, 'keep.log'), 'x');
    mkdirSync(join(dir, 'secret'));
    writeFileSync(join(dir, 'secret', 'key'), 'x');
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'main.c'), 'x');
    symlinkSync('/etc/passwd', join(dir, 'link'));
    const ctx = await packContext(dir, undefined);
    expect(ctx.dockerfile).toBe('Dockerfile');
    expect(await entries(ctx.tar)).toEqual(['.dockerignore', 'Dockerfile', 'keep.log', 'link', 'src', 'src/main.c']);
  });

  it("packs with Docker's pattern syntax: character classes, ** and re-includes", async () => {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    writeFileSync(join(dir, '.dockerignore'), '[ab].txt\n**/*.tmp\n!deep/keep.tmp\n');
    for (const f of ['a.txt', 'b.txt', 'c.txt']) writeFileSync(join(dir, f), 'x');
    mkdirSync(join(dir, 'deep'));
    for (const f of ['x.tmp', 'keep.tmp']) writeFileSync(join(dir, 'deep', f), 'x');
    const ctx = await packContext(dir, undefined);
    expect(await entries(ctx.tar)).toEqual(['.dockerignore', 'Dockerfile', 'c.txt', 'deep', 'deep/keep.tmp']);
  });

  it('a Dockerfile outside the context is sent under a generated name', async () => {
    const other = mkdtempSync(join(tmpdir(), 'netctl-df-'));
    try {
      writeFileSync(join(other, 'Dockerfile.dev'), 'FROM scratch\n');
      const ctx = await packContext(dir, join(other, 'Dockerfile.dev'));
      expect(ctx.dockerfile).toMatch(/^\.dockerfile\.[0-9a-f]{20}$/);
      expect(await entries(ctx.tar)).toEqual([ctx.dockerfile]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('build sends the tar and query, streams the output; -q prints only the ID', async () => {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    const fake = daemon();
    const r = await runNetctl(['build', '-t', 'mine:1', '--build-arg', 'V=2', '--network', 'none', dir], fake);
    expect(r).toEqual({ code: 0, stdout: 'Step 1/1 : FROM scratch\nSuccessfully tagged mine:1\n', stderr: '' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'buildImage', body: { tags: ['mine:1'], dockerfile: 'Dockerfile', buildArgs: { V: '2' }, network: 'none' } });
    expect((fake.requests.at(-1)?.body as { bytes: number }).bytes).toBeGreaterThan(512);
    const q = await runNetctl(['build', '-q', dir], fake);
    expect(q.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await runNetctl(['build', join(dir, 'missing')], fake)).toMatchObject({ code: 1, stderr: expect.stringContaining('unable to prepare context') });
    expect(await runNetctl(['build', '-t', 'Bad:tag', dir], fake)).toMatchObject({ code: 125 });
  });

  it('save -o writes the file; load -i and import print the daemon lines', async () => {
    const fake = daemon();
    const out = join(dir, 'b.tar');
    expect(await runNetctl(['save', '-o', out, 'busybox'], fake)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe('tar of busybox');
    expect(await runNetctl(['save', '-o', join(dir, 'x.tar'), 'nothere'], fake)).toMatchObject({ code: 1, stderr: 'Error response from daemon: No such image: nothere\n' });
    expect(existsSync(join(dir, 'x.tar'))).toBe(false);
    expect(await runNetctl(['load', '-i', out], fake)).toEqual({ code: 0, stdout: 'Loaded image: busybox:latest\n', stderr: '' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'loadImages', body: 'tar of busybox' });
    expect(await runNetctl(['load'], fake, { stdinData: 'from stdin' })).toMatchObject({ code: 0 });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'loadImages', body: 'from stdin' });
    const imp = await runNetctl(['import', out, 'imported:2'], fake);
    expect(imp.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(await runNetctl(['import', join(dir, 'none.tar')], fake)).toMatchObject({ code: 1, stderr: expect.stringContaining('no such file or directory') });
  });
});

describe('login and logout', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netctl-cfg-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves base64 credentials in config.json, keeps other keys, and pull/push send them', async () => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ credsStore: '', auths: { other: { auth: 'eDp5' } } }));
    const fake = daemon();
    const r = await runNetctl(['--config', dir, 'login', '-u', 'me', '--password-stdin', '127.0.0.1:5000'], fake, { stdinData: 'secret\n' });
    expect(r).toEqual({ code: 0, stdout: 'Login Succeeded\n', stderr: '' });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'auth', body: { username: 'me', password: 'secret', serveraddress: '127.0.0.1:5000' } });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg).toEqual({ credsStore: '', auths: { other: { auth: 'eDp5' }, '127.0.0.1:5000': { auth: Buffer.from('me:secret').toString('base64') } } });
    await runNetctl(['--config', dir, 'push', '127.0.0.1:5000/team/web:1.0'], fake);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'pushImage', body: { tag: '1.0', auth: { username: 'me', password: 'secret', serveraddress: '127.0.0.1:5000' } } });
    expect(await runNetctl(['--config', dir, 'logout', '127.0.0.1:5000'], fake)).toEqual({ code: 0, stdout: 'Removing login credentials for 127.0.0.1:5000\n', stderr: '' });
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).auths).toEqual({ other: { auth: 'eDp5' } });
    expect((await runNetctl(['--config', dir, 'logout'], fake)).stdout).toBe('Not logged in to https://index.docker.io/v1/\n');
  });

  it('a refused login writes nothing; flag mistakes are docker\'s', async () => {
    const fake = daemon();
    const bad = await runNetctl(['login', '-u', 'me', '-p', 'wrong', 'reg.example:5000'], fake, { env: { DOCKER_CONFIG: dir } });
    expect(bad).toEqual({
      code: 1,
      stdout: '',
      stderr: 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.\nError response from daemon: Get "https://reg.example:5000/v2/": unauthorized: incorrect username or password\n',
    });
    expect(existsSync(join(dir, 'config.json'))).toBe(false);
    expect(await runNetctl(['login', '--password-stdin'], fake, { env: { DOCKER_CONFIG: dir } })).toEqual({ code: 1, stdout: '', stderr: 'Must provide --username with --password-stdin\n' });
    expect(await runNetctl(['login'], fake, { env: { DOCKER_CONFIG: dir } })).toEqual({ code: 1, stdout: '', stderr: 'Cannot perform an interactive login from a non TTY device\n' });
  });
});
