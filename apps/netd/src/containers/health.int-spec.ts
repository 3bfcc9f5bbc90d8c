import { describeAsRoot } from '@app/kernel/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, useNetd } from '../testing/netd-suite';

/**
 * Health checks on a real daemon: `docker run --health-*` and an image's HEALTHCHECK, State.Health
 * in inspect, `(healthy)` in ps, health_status events, unhealthy after a stop, and probes that
 * carry on after a daemon restart.
 */
describeAsRoot('health checks (real daemon, docker CLI)', () => {
  const daemon = useNetd({ bridge: 'netdhc0', loopback: true, netnsDir: true, dockerTimeoutMs: 60_000 });
  const { call, docker } = daemon;
  const health = async (name: string) => (await call('GET', `/containers/${name}/json`)).body.State.Health;
  const waitFor = async (name: string, status: string, ms = 15_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const h = await health(name);
      if (h?.Status === status) return h;
      if (Date.now() > end) throw new Error(`${name} never became ${status}: ${JSON.stringify(h)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('--health-*: starting, healthy with (healthy) in ps and an event, unhealthy after the retries, unhealthy once stopped', async () => {
    const t0 = Date.now() / 1000;
    ok(docker('run', '-d', '--name', 'hc', '--network', 'none', '--health-cmd', 'test -f /ok && echo fine', '--health-interval', '300ms', '--health-retries', '2',
      'busybox', 'sleep', '600'));
    expect((await health('hc')).Status).toBe('starting');
    const cfg = JSON.parse(ok(docker('inspect', 'hc')))[0].Config.Healthcheck;
    expect(cfg).toEqual({ Test: ['CMD-SHELL', 'test -f /ok && echo fine'], Interval: 300_000_000, Retries: 2 });
    await waitFor('hc', 'unhealthy');
    ok(docker('exec', 'hc', 'touch', '/ok'));
    const healthy = await waitFor('hc', 'healthy');
    expect(healthy.FailingStreak).toBe(0);
    expect(healthy.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n', Start: expect.stringMatching(/^20\d\d-/), End: expect.stringMatching(/^20\d\d-/) });
    expect(healthy.Log.length).toBeLessThanOrEqual(5);
    expect(ok(docker('ps', '--filter', 'name=hc', '--format', '{{.Status}}'))).toMatch(/^Up .* \(healthy\)$/);
    ok(docker('exec', 'hc', 'rm', '/ok'));
    expect((await waitFor('hc', 'unhealthy')).FailingStreak).toBeGreaterThanOrEqual(2);
    const events = await call('GET', `/events?since=${t0}&until=${Date.now() / 1000}&filters=${encodeURIComponent('{"container":["hc"]}')}`);
    const actions = events.text.trim().split('\n').map((l) => JSON.parse(l).Action as string).filter((a) => a.startsWith('health_status'));
    expect(actions).toEqual(['health_status: unhealthy', 'health_status: healthy', 'health_status: unhealthy']);
    ok(docker('exec', 'hc', 'touch', '/ok'));
    await waitFor('hc', 'healthy');
    ok(docker('stop', '-t', '0', 'hc'));
    expect((await health('hc')).Status).toBe('unhealthy');
  }, 60_000);

  it("an image's HEALTHCHECK is run; --no-healthcheck turns it off; a probe over its timeout is killed and logged as Docker's", async () => {
    const ctx = mkdtempSync(join(daemon.dir, 'ctx-'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nHEALTHCHECK --interval=300ms --timeout=2s CMD ["true"]\n');
    ok(docker('build', '-q', '-t', 'hcimg', ctx));
    ok(docker('run', '-d', '--name', 'img', '--network', 'none', 'hcimg', 'sleep', '600'));
    await waitFor('img', 'healthy');
    ok(docker('run', '-d', '--name', 'off', '--network', 'none', '--no-healthcheck', 'hcimg', 'sleep', '600'));
    const off = JSON.parse(ok(docker('inspect', 'off')))[0];
    // moby's merge: the image's other fields stay beside the NONE
    expect([off.Config.Healthcheck, off.State.Health]).toEqual([{ Test: ['NONE'], Interval: 300_000_000, Timeout: 2_000_000_000 }, undefined]);
    ok(docker('run', '-d', '--name', 'slow', '--network', 'none', '--health-cmd', 'sleep 5', '--health-interval', '200ms', '--health-timeout', '300ms', 'busybox', 'sleep', '600'));
    const h = await waitFor('slow', 'unhealthy');
    expect(h.Log[0]).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (300ms)' });
    const top = (await call('GET', '/containers/slow/top')).body;
    expect(top.Processes.map((p: string[]) => p[7])).toEqual(['sleep 600']);
    const bad = await call('POST', '/containers/create', { Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'], Interval: 10 } });
    expect([bad.status, bad.body]).toEqual([400, { message: 'Interval in Healthcheck cannot be less than 1ms' }]);
  }, 60_000);

  it('probes resume after a daemon restart, from the status recorded', async () => {
    ok(docker('run', '-d', '--name', 'rs', '--network', 'none', '--health-cmd', 'test -f /ok', '--health-interval', '300ms', '--health-retries', '1',
      'busybox', 'sh', '-c', 'touch /ok; exec sleep 600'));
    await waitFor('rs', 'healthy');
    await daemon.netd.stop();
    await daemon.restart();
    expect((await health('rs')).Status).toBe('healthy');
    ok(docker('exec', 'rs', 'rm', '/ok'));
    await waitFor('rs', 'unhealthy');
  }, 60_000);
});
