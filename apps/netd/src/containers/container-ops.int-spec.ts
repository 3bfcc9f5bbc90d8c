import { describeAsRoot } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, useNetd } from '../testing/netd-suite';

const cgroupFile = (controller: string, id: string, file: string) => readFileSync(`/sys/fs/cgroup/${controller}/netd/${id}/${file}`, 'utf8').trim();

/**
 * rename, pause/unpause, update, top and prune on a real daemon (runc, conmon, busybox), driven
 * by the docker CLI where it has the verb, and checked in the kernel (cgroup files) and the
 * embedded DNS.
 */
describeAsRoot('container verbs: rename, pause, update, top, prune (real daemon, docker CLI)', () => {
  const daemon = useNetd({ bridge: 'netdop0', loopback: true, netnsDir: true });
  const { call, docker } = daemon;

  beforeAll(() => {
    ok(docker('network', 'create', '--subnet', '10.253.9.0/24', 'opnet'));
  });

  it('rename: the DNS answers the new name on every network and no longer the old one; a link alias to it keeps working; a taken name is 409', async () => {
    ok(docker('network', 'create', 'opnet2'));
    ok(docker('run', '-d', '--name', 'ren-a', '--network', 'opnet', 'busybox', 'sleep', '600'));
    ok(docker('network', 'connect', 'opnet2', 'ren-a'));
    ok(docker('run', '-d', '--name', 'ren-b', '--network', 'opnet', '--link', 'ren-a:upstream', 'busybox', 'sleep', '600'));
    ok(docker('run', '-d', '--name', 'ren-c', '--network', 'opnet2', 'busybox', 'sleep', '600'));
    const resolves = (from: string, name: string) => docker('exec', from, 'nslookup', name, '127.0.0.11').status === 0;
    expect([resolves('ren-b', 'ren-a'), resolves('ren-c', 'ren-a')]).toEqual([true, true]);

    ok(docker('rename', 'ren-a', 'ren-a2'));
    expect(JSON.parse(ok(docker('inspect', 'ren-a2')))[0].Name).toBe('/ren-a2');
    expect({ b: resolves('ren-b', 'ren-a2'), c: resolves('ren-c', 'ren-a2') }).toEqual({ b: true, c: true });
    expect({ b: resolves('ren-b', 'ren-a'), c: resolves('ren-c', 'ren-a') }).toEqual({ b: false, c: false });
    expect(resolves('ren-b', 'upstream')).toBe(true);

    const taken = docker('rename', 'ren-a2', 'ren-b');
    expect(taken.status).not.toBe(0);
    expect(taken.stderr).toMatch(/Error when allocating new name: Conflict\. The container name "\/ren-b" is already in use by container "[0-9a-f]{64}"/);
    expect((await call('POST', '/containers/ren-a2/rename?name=bad/name')).status).toBe(400);
    expect((await call('POST', '/containers/ren-a2/rename')).body).toEqual({ message: 'Neither old nor new names may be empty' });
    // a stopped container renames too, and starts under its new name
    ok(docker('stop', '-t', '0', 'ren-c'));
    ok(docker('rename', 'ren-c', 'ren-c2'));
    ok(docker('start', 'ren-c2'));
    expect(resolves('ren-a2', 'ren-c2')).toBe(true);
  }, 120_000);

  it('pause: the cgroup is frozen, inspect and ps show it, exec is refused; unpause thaws; stop and kill of a paused container work', async () => {
    const id = ok(docker('run', '-d', '--name', 'pz', '--network', 'opnet', 'busybox', 'sleep', '600'));
    ok(docker('pause', 'pz'));
    expect(cgroupFile('freezer', id, 'freezer.state')).toBe('FROZEN');
    const st = JSON.parse(ok(docker('inspect', 'pz')))[0].State;
    expect({ Status: st.Status, Running: st.Running, Paused: st.Paused }).toEqual({ Status: 'paused', Running: true, Paused: true });
    expect(ok(docker('ps', '--filter', 'name=pz', '--format', '{{.Status}}'))).toMatch(/^Up .* \(Paused\)$/);
    const exec = docker('exec', 'pz', 'true');
    expect(exec.stderr).toContain(`Container ${id} is paused, unpause the container before exec`);
    expect(docker('pause', 'pz').stderr).toContain(`Container ${id} is already paused`);
    ok(docker('unpause', 'pz'));
    expect(cgroupFile('freezer', id, 'freezer.state')).toBe('THAWED');
    expect(docker('unpause', 'pz').stderr).toContain(`Container ${id} is not paused`);
    expect(docker('exec', 'pz', 'true').status).toBe(0);

    // sleep as init ignores SIGTERM: the stop ends with the SIGKILL, which a frozen process takes only once thawed
    ok(docker('pause', 'pz'));
    const t0 = Date.now();
    ok(docker('stop', '-t', '1', 'pz'));
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(JSON.parse(ok(docker('inspect', 'pz')))[0].State).toMatchObject({ Status: 'exited', Paused: false, ExitCode: 137 });
    expect((await call('POST', '/containers/pz/pause')).status).toBe(409);

    ok(docker('start', 'pz'));
    ok(docker('pause', 'pz'));
    ok(docker('kill', 'pz'));
    expect(JSON.parse(ok(docker('inspect', 'pz')))[0].State).toMatchObject({ Status: 'exited', ExitCode: 137 });
  }, 60_000);

  it('update: limits reach the running cgroup, inspect shows them, and they hold after a restart', async () => {
    const id = ok(docker('run', '-d', '--name', 'up', '--network', 'opnet', 'busybox', 'sleep', '600'));
    ok(docker('update', '--memory', '64m', '--memory-swap', '128m', '--cpu-shares', '512', '--pids-limit', '50', '--restart', 'on-failure:3', 'up'));
    const read = () => ({
      memory: cgroupFile('memory', id, 'memory.limit_in_bytes'), swap: cgroupFile('memory', id, 'memory.memsw.limit_in_bytes'),
      shares: cgroupFile('cpu', id, 'cpu.shares'), pids: cgroupFile('pids', id, 'pids.max'),
    });
    const want = { memory: String(64 << 20), swap: String(128 << 20), shares: '512', pids: '50' };
    expect(read()).toEqual(want);
    const hc = JSON.parse(ok(docker('inspect', 'up')))[0].HostConfig;
    expect([hc.Memory, hc.MemorySwap, hc.CpuShares, hc.PidsLimit, hc.RestartPolicy]).toEqual([64 << 20, 128 << 20, 512, 50, { Name: 'on-failure', MaximumRetryCount: 3 }]);
    ok(docker('restart', '-t', '0', 'up'));
    expect(read()).toEqual(want);

    const refused = await call('POST', '/containers/up/update', { BlkioWeight: 300 });
    expect([refused.status, refused.body]).toEqual([501, { message: 'BlkioWeight cannot be updated by netd' }]);
    expect((await call('POST', '/containers/up/update', { Memory: 1024 })).body).toEqual({ message: 'Minimum memory limit allowed is 6MB' });
    expect((await call('POST', '/containers/up/update', { CpuShares: 256 })).body).toEqual({ Warnings: [] });
    expect(cgroupFile('cpu', id, 'cpu.shares')).toBe('256');
  }, 60_000);

  it('top: ps lines of the container only, Docker titles; 409 when it is not running', async () => {
    // (sh execs its last command, so two processes)
    ok(docker('run', '-d', '--name', 'tp', '--network', 'opnet', 'busybox', 'sh', '-c', 'sleep 601 & sleep 602'));
    await new Promise((r) => setTimeout(r, 300));
    const top = (await call('GET', '/containers/tp/top')).body;
    expect(top.Titles).toEqual(['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    expect(top.Processes.map((p: string[]) => p[7]).sort()).toEqual(['sleep 601', 'sleep 602']);
    expect(ok(docker('top', 'tp', '-o', 'pid,comm'))).toMatch(/^PID\s+COMMAND\n/);
    expect((await call('GET', '/containers/tp/top?ps_args=--no-such-option')).status).toBe(400);
    ok(docker('stop', '-t', '0', 'tp'));
    expect((await call('GET', '/containers/tp/top')).status).toBe(409);
  }, 60_000);

  it('stats: one-shot and streamed samples from the cgroup and the netns, read by docker stats --no-stream; empty once stopped', async () => {
    ok(docker('run', '-d', '--name', 'st', '--network', 'opnet', '--memory', '64m', 'busybox', 'sleep', '600'));
    const s = (await call('GET', '/containers/st/stats?stream=false')).body;
    expect(s.memory_stats.limit).toBe(64 << 20);
    expect(s.memory_stats.usage).toBeGreaterThan(0);
    expect(s.pids_stats.current).toBe(1);
    expect(Object.keys(s.networks)).toEqual(['eth0']);
    expect(s.cpu_stats.online_cpus).toBeGreaterThan(0);
    expect(s.precpu_stats.system_cpu_usage).toBeGreaterThan(0);
    expect(s.cpu_stats.system_cpu_usage).toBeGreaterThan(s.precpu_stats.system_cpu_usage);
    expect(s.preread).not.toBe('0001-01-01T00:00:00Z');
    expect(ok(docker('stats', '--no-stream', '--format', '{{.Name}}|{{.MemUsage}}|{{.PIDs}}', 'st'))).toMatch(/^st\|[\d.]+[KMk]i?B \/ 64MiB\|1$/);
    const oneShot = (await call('GET', '/containers/st/stats?stream=false&one-shot=true')).body;
    expect(oneShot.preread).toBe('0001-01-01T00:00:00Z');
    // stream: a line a second until the client goes
    const lines = await new Promise<string[]>((resolve, reject) => {
      const got: string[] = [];
      const req = request({ socketPath: daemon.netd.socket, path: '/containers/st/stats', method: 'GET' }, (res) => {
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          const parts = buf.split('\n');
          buf = parts.pop()!;
          got.push(...parts);
          if (got.length >= 2) {
            req.destroy();
            resolve(got);
          }
        });
      });
      req.on('error', (e) => (got.length >= 2 ? undefined : reject(e)));
      req.end();
    });
    const [a, b] = lines.map((l) => JSON.parse(l));
    expect(b.precpu_stats.cpu_usage.total_usage).toBe(a.cpu_stats.cpu_usage.total_usage);
    ok(docker('stop', '-t', '0', 'st'));
    const stopped = (await call('GET', '/containers/st/stats?stream=false')).body;
    expect([stopped.read, stopped.memory_stats, stopped.name]).toEqual(['0001-01-01T00:00:00Z', {}, '/st']);
  }, 60_000);

  it('docker cp: out of and into running and stopped containers; a link to /etc in the container stays in the container', async () => {
    ok(docker('run', '-d', '--name', 'cp', '--network', 'opnet', 'busybox', 'sh', '-c', 'echo inside > /etc/hello; ln -s /etc /evil; exec sleep 600'));
    await new Promise((r) => setTimeout(r, 300));
    const work = mkdtempSync(join(daemon.dir, 'cp-'));
    ok(docker('cp', 'cp:/etc/hello', join(work, 'hello')));
    expect(readFileSync(join(work, 'hello'), 'utf8')).toBe('inside\n');
    ok(docker('cp', 'cp:/evil/hello', join(work, 'via-link')));
    expect(readFileSync(join(work, 'via-link'), 'utf8')).toBe('inside\n');
    writeFileSync(join(work, 'netd-cp-probe'), 'from host\n');
    ok(docker('cp', join(work, 'netd-cp-probe'), 'cp:/evil/'));
    expect(ok(docker('exec', 'cp', 'cat', '/etc/netd-cp-probe'))).toBe('from host');
    expect(existsSync('/etc/netd-cp-probe')).toBe(false);
    mkdirSync(join(work, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(work, 'tree', 'sub', 'f'), 'f\n');
    ok(docker('cp', join(work, 'tree'), 'cp:/tree'));
    expect(ok(docker('exec', 'cp', 'cat', '/tree/sub/f'))).toBe('f');

    const head = await call('HEAD', '/containers/cp/archive?path=/evil');
    const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
    expect(stat).toMatchObject({ name: 'evil', linkTarget: '/etc' });
    expect((await call('HEAD', '/containers/cp/archive?path=/nope')).status).toBe(404);
    expect((await call('GET', '/containers/cp/archive?path=/nope')).body).toEqual({ message: 'Could not find the file /nope in container cp' });
    expect((await call('GET', '/containers/cp/archive')).body).toEqual({ message: 'Path cannot be empty' });

    // netctl's cp and top, built, against the same daemon
    const netctl = (...a: string[]) => spawnSync(process.execPath, [join(__dirname, '../../../../dist/cli/netctl.js'), '-H', `unix://${daemon.netd.socket}`, ...a], { encoding: 'utf8', timeout: 30_000 });
    if (existsSync(join(__dirname, '../../../../dist/cli/netctl.js'))) {
      expect(netctl('cp', 'cp:/evil/hello', join(work, 'by-netctl')).status).toBe(0);
      expect(readFileSync(join(work, 'by-netctl'), 'utf8')).toBe('inside\n');
      expect(netctl('cp', join(work, 'tree'), 'cp:/tree2').status).toBe(0);
      expect(ok(docker('exec', 'cp', 'cat', '/tree2/sub/f'))).toBe('f');
    } else {
      process.stderr.write('container-ops: dist/cli/netctl.js was not built; netctl cp not checked\n');
    }

    // stopped: the root is mounted for the copy and unmounted after, and the container starts again
    ok(docker('stop', '-t', '0', 'cp'));
    ok(docker('cp', join(work, 'netd-cp-probe'), 'cp:/stopped-copy'));
    ok(docker('cp', 'cp:/etc/hello', join(work, 'hello2')));
    expect(readFileSync(join(work, 'hello2'), 'utf8')).toBe('inside\n');
    ok(docker('start', 'cp'));
    expect(ok(docker('exec', 'cp', 'cat', '/stopped-copy'))).toBe('from host');

    // a stopped container's volume is not mounted for a copy: refused, not copied into the layer beneath
    ok(docker('create', '--name', 'cpvol', '-v', 'cpdata:/data', 'busybox', 'true'));
    expect(docker('cp', join(work, 'netd-cp-probe'), 'cpvol:/data/').status).not.toBe(0);
    const vol = await call('PUT', '/containers/cpvol/archive?path=/data', { x: 1 });
    expect([vol.status, vol.body.message]).toEqual([501, 'copying to or from /data (a volume mount) of a stopped container is not supported by netd; start the container first']);
    expect((await call('GET', '/containers/cpvol/archive?path=/')).status).toBe(501);
    expect((await call('GET', '/containers/cpvol/archive?path=/etc')).status).toBe(200);
  }, 60_000);

  it('prune: removes the stopped containers (label filter honoured), never a running one, and leaves no namespace behind', async () => {
    const keep = ok(docker('run', '-d', '--name', 'pr-run', '--network', 'opnet', 'busybox', 'sleep', '600'));
    const gone = ok(docker('run', '--name', 'pr-exited', '--network', 'opnet', '--label', 'prune=yes', 'busybox', 'sh', '-c', 'echo x > /file'));
    const kept = ok(docker('create', '--name', 'pr-other', '--label', 'prune=no', 'busybox', 'true'));
    const res = await call('POST', `/containers/prune?filters=${encodeURIComponent('{"label":["prune=yes"]}')}`);
    expect(res.status).toBe(200);
    expect(res.body.ContainersDeleted).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
    expect(res.body.SpaceReclaimed).toBeGreaterThan(0);
    expect(docker('inspect', 'pr-exited').status).not.toBe(0);
    expect(gone.length).toBe(0);
    expect(JSON.parse(ok(docker('inspect', kept)))[0].State.Status).toBe('created');
    const all = await call('POST', '/containers/prune');
    expect(all.body.ContainersDeleted).toEqual(expect.arrayContaining([kept]));
    expect(JSON.parse(ok(docker('inspect', keep)))[0].State.Running).toBe(true);
    expect((await call('POST', '/containers/prune')).body).toEqual({ ContainersDeleted: null, SpaceReclaimed: 0 });
    expect(existsSync(join(daemon.dir, 'netns'))).toBe(true);
  }, 60_000);
});
