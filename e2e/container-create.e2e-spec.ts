// `docker create`/`docker run` options through the docker 28 client against netd: limits reach
// the container's cgroup, options netd does not honour are refused with the daemon's message (docker
// create exits 1), an image's ENTRYPOINT survives the `"Entrypoint": null` the client sends.
// Needs root, runc, conmon and busybox-static (netd seeds busybox:latest from it).
import { describeAsRoot } from '@app/kernel/testing';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DockerNetd, ok, startDockerNetd } from './support/docker-netd';

describeAsRoot('container create options through the docker client', () => {
  let t: DockerNetd;
  let work: string;
  const d = (...args: string[]) => t.d(...args);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'netd-t-create-'));
    t = await startDockerNetd({ bridge: 'netdcc0', env: { DOCKER_BUILDKIT: '0' } });
  });

  afterAll(async () => {
    await t?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('applies -m, --memory-reservation, --cpus, --cpuset-cpus and --pids-limit, and inspect shows them', () => {
    const id = ok(d('run', '-d', '-m', '32m', '--memory-reservation', '16m', '--cpus', '0.25', '--cpuset-cpus', '0', '--pids-limit', '20', 'busybox', 'sleep', '600')).trim();
    const pid = Number(ok(d('inspect', '-f', '{{.State.Pid}}', id)).trim());
    const cg = (controller: string, file: string) => {
      const path = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller))!.split(':')[2];
      return readFileSync(join('/sys/fs/cgroup', controller, path, file), 'utf8').trim();
    };
    expect([cg('memory', 'memory.limit_in_bytes'), cg('memory', 'memory.soft_limit_in_bytes'), cg('cpu', 'cpu.cfs_quota_us'), cg('cpuset', 'cpuset.cpus'), cg('pids', 'pids.max')])
      .toEqual([String(32 << 20), String(16 << 20), '25000', '0', '20']);
    expect(ok(d('inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', id)).trim()).toBe(`${32 << 20} 250000000 20`);
    ok(d('rm', '-f', id));
  });

  it.each([
    [['--privileged'], 'HostConfig.Privileged is not supported by netd'],
    [['-v', '/tmp:/t:rx'], 'invalid mode: rx'],
    [['--health-cmd', 'true', '--health-interval', '500us'], 'Interval in Healthcheck cannot be less than 1ms'],
    [['--workdir', 'rel'], "the working directory 'rel' is invalid, it needs to be an absolute path"],
    [['--stop-signal', 'SIGFOO'], 'Invalid signal: SIGFOO'],
    [['-m', '1m'], 'Minimum memory limit allowed is 6MB'],
  ])('refuses %j at create with the daemon\'s message and creates nothing', (flags, message) => {
    const before = ok(d('ps', '-aq'));
    const r = d('create', ...flags, 'busybox', 'true');
    expect({ rc: r.rc, err: r.err }).toEqual({ rc: 1, err: expect.stringContaining(`Error response from daemon: ${message}`) });
    expect(ok(d('ps', '-aq'))).toBe(before);
  });

  it('keeps an image\'s ENTRYPOINT when the client sends "Entrypoint": null, and --entrypoint replaces it', () => {
    const dir = join(work, 'ep');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nENTRYPOINT ["echo", "from-entrypoint"]\nCMD ["default-cmd"]\n');
    ok(d('build', '-q', '-t', 'ep', dir));
    // detached, then wait and logs: an attached `docker run` whose start fails ignores the
    // SIGTERM of spawnSync's timeout and would hang the suite
    const output = (...args: string[]) => {
      const id = ok(d('run', '-d', ...args)).trim();
      ok(d('wait', id));
      const out = ok(d('logs', id));
      ok(d('rm', id));
      return out;
    };
    expect(output('ep')).toBe('from-entrypoint default-cmd\n');
    expect(output('ep', 'given')).toBe('from-entrypoint given\n');
    expect(output('--entrypoint', 'echo', 'ep', 'replaced')).toBe('replaced\n');
  });
});
