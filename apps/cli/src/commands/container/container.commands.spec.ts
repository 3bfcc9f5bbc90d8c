import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';

function daemon(): FakeNetdClient {
  const fake = new FakeNetdClient();
  fake.addImage('busybox:latest', { id: 'sha256:' + 'ab'.repeat(32) });
  return fake;
}

const cols = (line: string) => line.split(/ {3,}/);

describe('run', () => {
  it('runs in the foreground, prints the output and exits with the code; --rm removes it', async () => {
    const fake = daemon();
    expect(await runNetctl(['run', '--rm', 'busybox', 'echo', 'hi'], fake)).toEqual({ code: 0, stdout: 'hi\n', stderr: '' });
    expect(fake.containers).toHaveLength(0);
    const create = fake.requests.find((r) => r.method === 'createContainer');
    expect(create?.body).toMatchObject({ Image: 'busybox', Cmd: ['echo', 'hi'], AttachStdout: true, AttachStderr: true, AttachStdin: false, HostConfig: { NetworkMode: 'default', AutoRemove: true } });
    // docker's order: attach and wait before start
    const order = fake.requests.map((r) => r.method).filter((m) => ['attach', 'waitContainer', 'startContainer'].includes(m));
    expect(order).toEqual(['attach', 'waitContainer', 'startContainer']);
  });

  it("exits with the container's own code and separates stdout from stderr", async () => {
    const r = await runNetctl(['run', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3'], daemon());
    expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('passes options after the image to the command (docker grammar)', async () => {
    const fake = daemon();
    expect((await runNetctl(['run', '--rm', 'busybox', 'echo', '-n', '--rm'], fake)).stdout).toBe('-n --rm\n');
  });

  it('-d prints the full id and leaves the container running', async () => {
    const fake = daemon();
    const r = await runNetctl(['run', '-d', '--name', 'aa', 'busybox', 'sleep', '60'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(fake.containers[0]).toMatchObject({ name: 'aa', status: 'running', id: r.stdout.trim() });
  });

  it('maps the networking flags onto the create request', async () => {
    const fake = daemon();
    const args = ['run', '-d', '--name', 'nn', '--network', 'n1', '--network-alias', 'web', '--ip', '10.1.0.5', '--ip6', 'fd00::5', '--mac-address', '02:42:ac:11:00:02', '--link', 'db', '--link', 'x:y',
      '--dns', '1.1.1.1', '--dns-search', 'example.com', '--dns-option', 'ndots:2', '--add-host', 'h:10.0.0.1', '-h', 'box', '-p', '127.0.0.1:8080:80', '-p', '53:53/udp', '-p', '9000-9001:9000-9001',
      '-P', '-e', 'A=1', '-l', 'k=v', '-w', '/tmp', '-u', 'nobody', '--restart', 'on-failure:3', 'busybox', 'sleep', '1'];
    expect((await runNetctl(args, fake)).code).toBe(0);
    const body = fake.requests.find((r) => r.method === 'createContainer')?.body;
    expect(body).toMatchObject({
      Hostname: 'box',
      User: 'nobody',
      WorkingDir: '/tmp',
      Env: ['A=1'],
      Labels: { k: 'v' },
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000/tcp': {}, '9001/tcp': {} },
      HostConfig: {
        NetworkMode: 'n1',
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '53' }], '9000/tcp': [{ HostIp: '', HostPort: '9000' }], '9001/tcp': [{ HostIp: '', HostPort: '9001' }] },
        PublishAllPorts: true,
        Links: ['db:db', 'x:y'],
        Dns: ['1.1.1.1'],
        DnsSearch: ['example.com'],
        DnsOptions: ['ndots:2'],
        ExtraHosts: ['h:10.0.0.1'],
        RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      },
      NetworkingConfig: { EndpointsConfig: { n1: { IPAMConfig: { IPv4Address: '10.1.0.5', IPv6Address: 'fd00::5' }, Aliases: ['web'], MacAddress: '02:42:ac:11:00:02' } } },
    });
  });

  it('pulls a missing image first, as docker run does, with the pull output on stderr', async () => {
    const fake = new FakeNetdClient();
    const r = await runNetctl(['run', '--rm', 'busybox', 'echo', 'hi'], fake);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr.split('\n')).toEqual([
      "Unable to find image 'busybox:latest' locally",
      'latest: Pulling from library/busybox',
      '9ad63333ebc9: Pulling fs layer',
      '9ad63333ebc9: Download complete',
      '9ad63333ebc9: Pull complete',
      expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/),
      'Status: Downloaded newer image for busybox:latest',
      '',
    ]);
  });

  it('exits 125 with docker\'s wording when the image cannot be pulled, and creates nothing', async () => {
    const fake = daemon();
    const r = await runNetctl(['run', 'nosuch', 'true'], fake);
    expect(r).toEqual({
      code: 125,
      stdout: '',
      stderr: [
        "Unable to find image 'nosuch:latest' locally",
        "netctl: Error response from daemon: pull access denied for nosuch, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
        "See 'netctl run --help'.",
        '',
      ].join('\n'),
    });
    expect(fake.containers).toHaveLength(0);
  });

  it('exits 125 on a name conflict and on bad flags (nothing sent for the latter)', async () => {
    const fake = daemon();
    await runNetctl(['run', '-d', '--name', 'aa', 'busybox', 'sleep', '9'], fake);
    const conflict = await runNetctl(['run', '--name', 'aa', 'busybox', 'true'], fake);
    expect(conflict.code).toBe(125);
    expect(conflict.stderr).toMatch(/^netctl: Error response from daemon: Conflict\. The container name "\/aa" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\nSee 'netctl run --help'\.\n$/);
    const before = fake.requests.length;
    expect(await runNetctl(['run', '--restart', 'sometimes', 'busybox', 'true'], fake)).toEqual({ code: 125, stdout: '', stderr: "Error: invalid restart policy format: sometimes\nSee 'netctl run --help'.\n" });
    expect(await runNetctl(['run', '-p', '80:80:80:80', 'busybox', 'true'], fake)).toMatchObject({ code: 125, stderr: "Error: invalid port format for --publish: 80:80:80:80\nSee 'netctl run --help'.\n" });
    expect(await runNetctl(['run', '--rm', '--restart', 'always', 'busybox', 'true'], fake)).toMatchObject({ code: 125, stderr: "Error: Conflicting options: --restart and --rm\nSee 'netctl run --help'.\n" });
    expect(await runNetctl(['run', '--bogus', 'busybox'], fake)).toMatchObject({ code: 125 });
    expect(fake.requests.length).toBe(before);
  });

  it('sends -v, --mount, --tmpfs and --volumes-from as docker does; a bad --mount sends nothing', async () => {
    const fake = daemon();
    await runNetctl(['create', '--name', 'src', 'busybox', 'true'], fake);
    const r = await runNetctl(['create', '-v', 'v1:/a', '-v', '/anon', '--volume', '/h:/b:ro', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', '--tmpfs', '/run:size=64k', '--volumes-from', 'src:ro', 'busybox', 'true'], fake);
    expect(r.code).toBe(0);
    const create = fake.requests.filter((x) => x.method === 'createContainer').pop();
    expect(create?.body).toMatchObject({
      Volumes: { '/anon': {} },
      HostConfig: { Binds: ['v1:/a', '/h:/b:ro'], Mounts: [{ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576 } }], Tmpfs: { '/run': 'size=64k' }, VolumesFrom: ['src:ro'] },
    });
    const before = fake.requests.length;
    expect(await runNetctl(['run', '--mount', 'type=bind,source=/x', 'busybox', 'true'], fake)).toEqual({
      code: 125, stdout: '', stderr: 'Error: invalid argument "type=bind,source=/x" for "--mount" flag: target is required\nSee \'netctl run --help\'.\n',
    });
    expect(fake.requests.length).toBe(before);
  });

  it('exits 127 when the command is not found in the image, and removes an --rm container', async () => {
    const fake = daemon();
    const r = await runNetctl(['run', '--rm', 'busybox', 'nosuchcmd'], fake);
    expect(r.code).toBe(127);
    expect(r.stderr).toBe(
      'netctl: Error response from daemon: failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown\n' +
        "See 'netctl run --help'.\n",
    );
    expect(fake.containers).toHaveLength(0);
  });

  it('forwards stdin with -i', async () => {
    const r = await runNetctl(['run', '-i', '--rm', 'busybox', 'cat'], daemon(), { stdinData: 'piped\n' });
    expect(r).toEqual({ code: 0, stdout: 'piped\n', stderr: '' });
  });

  it('refuses -it without a terminal, as docker does', async () => {
    expect(await runNetctl(['run', '-it', 'busybox', 'sh'], daemon())).toEqual({ code: 1, stdout: '', stderr: 'the input device is not a TTY\n' });
  });
});

describe('ps', () => {
  // freeze Date only: the API's Created is whole seconds, so a running clock makes CREATED flicker
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
    jest.setSystemTime(new Date('2026-01-02T03:04:05Z'));
  });
  afterEach(() => jest.useRealTimers());

  it("prints docker's table with quoted, truncated commands and status words", async () => {
    const fake = daemon();
    const web = (await runNetctl(['run', '-d', '--name', 'web', '-p', '127.0.0.1:8080:80', 'busybox', 'sleep', '60'], fake)).stdout.trim();
    const made = (await runNetctl(['create', '--name', 'made', 'busybox', 'echo', 'hello', 'world', 'this', 'is', 'long'], fake)).stdout.trim();
    await runNetctl(['run', '--name', 'done', 'busybox', 'true'], fake);
    fake.advance(3000);
    const r = await runNetctl(['ps'], fake);
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout:
        'CONTAINER ID   IMAGE     COMMAND      CREATED         STATUS         PORTS                    NAMES\n' +
        `${web.slice(0, 12)}   busybox   "sleep 60"   3 seconds ago   Up 3 seconds   127.0.0.1:8080->80/tcp   web\n`,
    });
    const all = (await runNetctl(['ps', '-a'], fake)).stdout.split('\n');
    expect(all).toHaveLength(5);
    expect(cols(all[1])).toEqual([expect.any(String), 'busybox', '"true"', '3 seconds ago', 'Exited (0) 3 seconds ago', 'done']);
    expect(cols(all[2])).toEqual([made.slice(0, 12), 'busybox', '"echo hello world th…"', '3 seconds ago', 'Created', 'made']);
    const noTrunc = (await runNetctl(['ps', '-a', '--no-trunc', '-f', 'name=made'], fake)).stdout.split('\n');
    expect(cols(noTrunc[1]).slice(0, 3)).toEqual([made, 'busybox', '"echo hello world this is long"']);
  });

  it('-q, -l, -n, --format and filters', async () => {
    const fake = daemon();
    const a = (await runNetctl(['run', '-d', '--name', 'aa', 'busybox', 'sleep', '60'], fake)).stdout.trim();
    const b = (await runNetctl(['create', '--name', 'bb', 'busybox', 'true'], fake)).stdout.trim();
    expect((await runNetctl(['ps', '-q'], fake)).stdout).toBe(`${a.slice(0, 12)}\n`);
    expect((await runNetctl(['ps', '-aq'], fake)).stdout).toBe(`${b.slice(0, 12)}\n${a.slice(0, 12)}\n`);
    expect((await runNetctl(['ps', '-l', '--format', '{{.Names}} {{.State}}'], fake)).stdout).toBe('bb created\n');
    expect((await runNetctl(['ps', '-n', '2', '--format', '{{.Names}}'], fake)).stdout).toBe('bb\naa\n');
    expect((await runNetctl(['ps', '-a', '-f', 'status=running', '--format', 'table {{.Names}}\t{{.Status}}'], fake)).stdout).toBe('NAMES     STATUS\naa        Up Less than a second\n');
    expect(await runNetctl(['ps', '-f', 'oops'], fake)).toMatchObject({ code: 125, stderr: expect.stringContaining('bad format of filter (expected name=value)') });
  });
});

describe('exec, logs, lifecycle', () => {
  it('exec prints the output and exits with the exec code; a missing command exits 127', async () => {
    const fake = daemon();
    await runNetctl(['run', '-d', '--name', 'aa', 'busybox', 'sleep', '60'], fake);
    expect(await runNetctl(['exec', 'aa', 'echo', 'x'], fake)).toEqual({ code: 0, stdout: 'x\n', stderr: '' });
    expect(await runNetctl(['exec', 'aa', 'sh', '-c', 'exit 4'], fake)).toMatchObject({ code: 4 });
    expect(await runNetctl(['exec', 'aa', 'nosuch'], fake)).toMatchObject({ code: 127, stderr: expect.stringContaining('executable file not found in $PATH') });
    expect(await runNetctl(['exec', '-d', 'aa', 'echo', 'x'], fake)).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fake.requests.find((r) => r.method === 'createExec')?.body).toMatchObject({ Cmd: ['echo', 'x'], AttachStdout: true, AttachStdin: false, Tty: false });
    expect(await runNetctl(['exec', 'missing', 'true'], fake)).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: missing\n' });
  });

  it('logs demultiplexes stdout and stderr; --tail limits', async () => {
    const fake = daemon();
    await runNetctl(['run', '--name', 'll', 'busybox', 'sh', '-c', 'echo one; echo two >&2; echo three'], fake);
    expect(await runNetctl(['logs', 'll'], fake)).toEqual({ code: 0, stdout: 'one\nthree\n', stderr: 'two\n' });
    expect(await runNetctl(['logs', '--tail', '1', 'll'], fake)).toEqual({ code: 0, stdout: 'three\n', stderr: '' });
    expect(fake.requests.filter((r) => r.method === 'logs').at(-1)?.body).toMatchObject({ tail: '1' });
    await runNetctl(['logs', '--since', '10m', 'll'], fake);
    const since = (fake.requests.filter((r) => r.method === 'logs').at(-1)?.body as { since: string }).since;
    expect(Math.abs(Number(since) - (Date.now() / 1000 - 600))).toBeLessThan(5);
  });

  it('stop, kill, rm and wait print names and codes; errors are docker\'s and the rest still run', async () => {
    const fake = daemon();
    await runNetctl(['run', '-d', '--name', 'aa', 'busybox', 'sleep', '60'], fake);
    await runNetctl(['run', '-d', '--name', 'bb', 'busybox', 'sleep', '60'], fake);
    expect(await runNetctl(['rm', 'aa'], fake)).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: cannot remove container "/aa": container is running: stop the container before removing or force remove\n' });
    expect(await runNetctl(['stop', '-t', '1', 'aa', 'nope'], fake)).toEqual({ code: 1, stdout: 'aa\n', stderr: 'Error response from daemon: No such container: nope\n' });
    expect(await runNetctl(['wait', 'aa'], fake)).toEqual({ code: 0, stdout: '143\n', stderr: '' });
    expect(await runNetctl(['kill', '-s', 'KILL', 'bb'], fake)).toEqual({ code: 0, stdout: 'bb\n', stderr: '' });
    expect(await runNetctl(['stop', '-t', 'x', 'aa'], fake)).toMatchObject({ code: 125 });
    expect(await runNetctl(['rm', '-f', 'aa', 'bb'], fake)).toEqual({ code: 0, stdout: 'aa\nbb\n', stderr: '' });
    expect(fake.containers).toHaveLength(0);
  });

  it('start -a attaches and exits with the code; restart restarts', async () => {
    const fake = daemon();
    await runNetctl(['create', '--name', 'cc', 'busybox', 'sh', '-c', 'echo started; exit 2'], fake);
    expect(await runNetctl(['start', '-a', 'cc'], fake)).toEqual({ code: 2, stdout: 'started\n', stderr: '' });
    expect(await runNetctl(['start', 'cc'], fake)).toEqual({ code: 0, stdout: 'cc\n', stderr: '' });
    expect(await runNetctl(['restart', 'cc'], fake)).toEqual({ code: 0, stdout: 'cc\n', stderr: '' });
  });
});

describe('inspect and port', () => {
  it('tries container, image, then network; --type and -f; missing objects reported', async () => {
    const fake = daemon();
    const id = (await runNetctl(['run', '-d', '--name', 'web', '-p', '127.0.0.1:8080:80', '-p', '53:53/udp', 'busybox', 'sleep', '9'], fake)).stdout.trim();
    expect(await runNetctl(['inspect', '-f', '{{.Id}} {{.State.Status}}', 'web'], fake)).toEqual({ code: 0, stdout: `${id} running\n`, stderr: '' });
    expect((await runNetctl(['inspect', '-f', '{{.Id}}', 'busybox'], fake)).stdout).toBe(`sha256:${'ab'.repeat(32)}\n`);
    expect((await runNetctl(['inspect', '-f', '{{.Name}}', 'bridge'], fake)).stdout).toBe('bridge\n');
    const json = await runNetctl(['inspect', 'web', 'busybox'], fake);
    expect(JSON.parse(json.stdout).map((x: { Id: string }) => x.Id)).toEqual([id, `sha256:${'ab'.repeat(32)}`]);
    expect(json.stdout.split('\n')[1]).toBe('    {');
    expect(await runNetctl(['inspect', 'nothing'], fake)).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such object: nothing\n' });
    expect(await runNetctl(['inspect', '--type', 'image', 'web'], fake)).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such image: web\n' });
  });

  it("port lists the bindings as docker's `port` does", async () => {
    const fake = daemon();
    await runNetctl(['run', '-d', '--name', 'web', '-p', '127.0.0.1:8080:80', '-p', '53:53/udp', 'busybox', 'sleep', '9'], fake);
    expect((await runNetctl(['port', 'web'], fake)).stdout).toBe('53/udp -> 0.0.0.0:53\n80/tcp -> 127.0.0.1:8080\n');
    expect((await runNetctl(['port', 'web', '80'], fake)).stdout).toBe('127.0.0.1:8080\n');
    expect(await runNetctl(['port', 'web', '81'], fake)).toEqual({ code: 1, stdout: '', stderr: "Error: No public port '81/tcp' published for web\n" });
  });
});
