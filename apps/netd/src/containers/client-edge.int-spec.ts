import { describeAsRoot } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { ok, useNetd } from '../testing/netd-suite';

const KILL_ROUNDS = 10;

/**
 * What docker clients (the CLI, docker-py, compose) rely on at the edge of the container API:
 * kill with SIGKILL answers once the container has stopped; exec of what cannot run gives 126 or
 * 127; attach before start delivers the output. A real daemon with runc, conmon and busybox.
 */
describeAsRoot('container API as docker clients use it (kill, exec failures, attach before start)', () => {
  const daemon = useNetd({ bridge: 'netdke0', loopback: true, netnsDir: true });
  const { call, docker } = daemon;
  const create = (cmd: string[], extra: Record<string, unknown> = {}) => daemon.createContainer({ Cmd: cmd, HostConfig: { NetworkMode: 'none' }, ...extra });
  const started = (cmd: string[]) => daemon.runContainer({ Cmd: cmd, HostConfig: { NetworkMode: 'none' } });

  it(`kill (SIGKILL) answers once the container has exited: inspect shows 137 and rm succeeds at once (${KILL_ROUNDS} rounds)`, async () => {
    for (let i = 0; i < KILL_ROUNDS; i++) {
      const id = await started(['sleep', '600']);
      expect((await call('POST', `/containers/${id}/kill`)).status).toBe(204);
      const st = (await call('GET', `/containers/${id}/json`)).body.State;
      expect({ round: i, Status: st.Status, Running: st.Running, ExitCode: st.ExitCode }).toEqual({ round: i, Status: 'exited', Running: false, ExitCode: 137 });
      const rm = await call('DELETE', `/containers/${id}`);
      expect({ round: i, rm: rm.status, text: rm.text }).toEqual({ round: i, rm: 204, text: '' });
    }
    for (const signal of ['KILL', '9', 'SIGKILL']) {
      const id = await started(['sleep', '600']);
      expect((await call('POST', `/containers/${id}/kill?signal=${signal}`)).status).toBe(204);
      expect((await call('POST', `/containers/${id}/wait`)).body).toEqual({ StatusCode: 137, Error: null });
      const rm = await call('DELETE', `/containers/${id}`);
      expect({ signal, rm: rm.status, text: rm.text }).toEqual({ signal, rm: 204, text: '' });
    }
  });

  it('kill with another signal answers once the signal is sent, not when the container exits', async () => {
    const id = await started(['sh', '-c', 'trap "sleep 2; exit 3" TERM; echo ready; while :; do sleep 0.1; done']);
    for (let i = 0; i < 50 && !(await call('GET', `/containers/${id}/logs?stdout=1`)).text.includes('ready'); i++) await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    expect((await call('POST', `/containers/${id}/kill?signal=TERM`)).status).toBe(204);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect((await call('GET', `/containers/${id}/json`)).body.State.Running).toBe(true);
    expect((await call('POST', `/containers/${id}/wait`)).body).toEqual({ StatusCode: 3, Error: null });
  });

  it('exec of what cannot run: 126 when it exists but cannot be executed, 127 when it is missing (exec inspect and docker exec)', async () => {
    const id = await started(['sleep', '600']);
    expect(docker('exec', id, 'mkdir', '-p', '/tmp/dir').status).toBe(0);
    // dockerd: 127 when the runtime's error names the command with "executable file not found" or
    // "no such file or directory", or says "not a directory"; 126 on "permission denied" and otherwise
    const cases: Array<[string, number]> = [
      ['/etc', 126], ['/tmp/dir', 126], ['/etc/hostname', 126], ['/etc/hosts', 126],
      ['nosuchcommand', 127], ['/nosuch/file', 127], ['/etc/hostname/x', 127],
    ];
    for (const [cmd, code] of cases) {
      const ex = await call('POST', `/containers/${id}/exec`, { Cmd: [cmd], AttachStdout: true, AttachStderr: true });
      expect(ex.status).toBe(201);
      await call('POST', `/exec/${ex.body.Id}/start`, { Detach: false, Tty: false });
      const de = docker('exec', id, cmd);
      expect({ cmd, status: de.status, stderr: de.stderr }).toEqual({ cmd, status: code, stderr: '' });
      expect({ cmd, ExitCode: (await call('GET', `/exec/${ex.body.Id}/json`)).body.ExitCode }).toEqual({ cmd, ExitCode: code });
    }
  });

  it('docker start -a on a created, then on an exited container prints its output and exits with its code', async () => {
    const id = await create(['sh', '-c', 'echo one; sleep 0.3; echo two >&2; exit 4']);
    const r = docker('start', '-a', id);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 4, stdout: 'one\n', stderr: 'two\n' });
    // again on the exited container: dockerd attaches to it and the stream carries the new run
    const again = docker('start', '-a', id);
    expect({ status: again.status, stdout: again.stdout, stderr: again.stderr }).toEqual({ status: 4, stdout: 'one\n', stderr: 'two\n' });
    // with stdin (`docker start -ai`, compose's `run`): the piped input reaches the new run
    const cat = ok(docker('create', '-i', '--network', 'none', 'busybox', 'cat'));
    for (const input of ['first\n', 'second\n']) {
      const ai = spawnSync('docker', ['-H', daemon.url, 'start', '-ai', cat], { input, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
      expect({ status: ai.status, stdout: ai.stdout, stderr: ai.stderr }).toEqual({ status: 0, stdout: input, stderr: '' });
    }
    // docker attach refuses a stopped container itself (the CLI's check, not the daemon's)
    expect(docker('attach', id)).toMatchObject({ status: 1, stderr: 'You cannot attach to a stopped container, start it first\n' });
  });

  /** docker-py's attach (what compose 1.29 calls before start): the query it sends, with and without the upgrade headers. */
  it.each([true, false])('a raw attach to a created container (upgrade: %s), then start: the stream carries the output and ends at exit', async (upgrade) => {
    const id = await create(['sh', '-c', 'echo hello; sleep 0.3; echo bye'], { AttachStdout: true, AttachStderr: true });
    const frames = new Promise<{ status: number; out: string }>((resolve, reject) => {
      const req = request({
        socketPath: daemon.netd.socket, method: 'POST', path: `/v1.41/containers/${id}/attach?logs=0&stdout=1&stderr=1&stream=1`,
        headers: upgrade ? { Connection: 'Upgrade', Upgrade: 'tcp' } : {},
      });
      const onStream = (res: { statusCode?: number }, socket: NodeJS.ReadableStream & { destroy(): void }) => {
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('end', () => {
          let buf = Buffer.concat(chunks);
          let out = '';
          while (buf.length >= 8) {
            const n = buf.readUInt32BE(4);
            out += buf.subarray(8, 8 + n).toString();
            buf = buf.subarray(8 + n);
          }
          resolve({ status: res.statusCode ?? 0, out });
          socket.destroy();
        });
        // the client starts the container once attached, as compose does
        void call('POST', `/containers/${id}/start`).then((s) => (s.status === 204 ? undefined : reject(new Error(`start: ${s.status} ${s.text}`))));
      };
      req.on('upgrade', (res, socket) => onStream(res, socket));
      req.on('response', (res) => (upgrade || res.statusCode !== 200 ? reject(new Error(`attach answered ${res.statusCode}`)) : onStream(res, res)));
      req.on('error', reject);
      req.end();
    });
    const got = await Promise.race([frames, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('attach stream did not end')), 15_000))]);
    expect(got).toEqual({ status: upgrade ? 101 : 200, out: 'hello\nbye\n' });
    // attach to the exited container without logs is refused, as dockerd does
    // attach without stream to the exited container answers at once with nothing (no logs asked for)
    const again = await call('POST', `/containers/${id}/attach?stdout=1`);
    expect({ status: again.status, text: again.text }).toEqual({ status: 200, text: '' });
  });
});
