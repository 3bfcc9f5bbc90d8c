import { IpAddr } from '@app/common';
import { ContainerManager, type ContainerSpec } from '@app/container';
import { FakeRuntime, MemoryContainerStore } from '@app/container/testing';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { EventsService } from '../events/events.service';
import { containerHealthConfig, healthFromWire, HealthMonitor } from './health';
import { checkHealthConfig } from '@app/container';

const until = async (cond: () => Promise<boolean> | boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe(healthFromWire.name, () => {
  // docker-py (and so docker-compose 1.29) sends every Healthcheck field, the unset ones as null
  it('reads null fields as not given, as Go decodes them', () => {
    const c = healthFromWire({ Test: ['CMD', 'true'], Interval: 1e9, Timeout: 2e9, Retries: 10, StartPeriod: null, StartInterval: null });
    expect(c).toEqual({ test: ['CMD', 'true'], intervalNs: 1e9, timeoutNs: 2e9, retries: 10, startPeriodNs: undefined, startIntervalNs: undefined });
    expect(() => checkHealthConfig(c!)).not.toThrow();
  });
});

describe(HealthMonitor.name, () => {
  let dir: string;
  let runtime: FakeRuntime;
  let events: EventsService;
  let mgr: ContainerManager;
  let monitor: HealthMonitor;
  let published: string[];
  let exitCode: number;
  let probes: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netd-health-'));
    mkdirSync(join(dir, 'layer'));
    runtime = new FakeRuntime();
    exitCode = 0;
    probes = 0;
    runtime.onExec = (_id, spec) => {
      probes++;
      return { exitCode, stdout: `probe ${spec.args.join(' ')}\n`, stderr: '' };
    };
    events = new EventsService();
    published = [];
    mgr = new ContainerManager({
      runtime, store: new MemoryContainerStore(), stateDir: join(dir, 'containers'), cgroupMode: 'hybrid',
      hostResolvConf: () => '', hostGateway: IpAddr.parse('172.17.0.1'),
      onEvent: (e) => events.publish(e.action, e.id, { name: e.name }, 'container'),
    });
    monitor = new HealthMonitor({ manager: mgr, events, log: pino({ level: 'silent' }), publish: (action) => published.push(action) });
  });
  afterEach(() => {
    monitor.close();
    mgr.detach();
    rmSync(dir, { recursive: true, force: true });
  });

  const create = (hc: ContainerSpec['healthcheck']) => mgr.create({ lowers: [join(dir, 'layer')], cmd: ['sleep', '1'], network: { kind: 'host' }, healthcheck: hc, name: 'hc' });
  const health = async (id: string) => (await mgr.inspect(id)).health;

  it('starts as starting, turns healthy on a passing probe and unhealthy after `retries` failures, with events and a log', async () => {
    const r = await create({ test: ['CMD-SHELL', 'test -f /ok'], intervalNs: 20e6, retries: 2 });
    await mgr.start(r.id);
    await until(async () => (await health(r.id))?.status === 'healthy');
    expect((await health(r.id))?.log[0]).toMatchObject({ exitCode: 0, output: 'probe /bin/sh -c test -f /ok\n' });
    exitCode = 1;
    await until(async () => (await health(r.id))?.status === 'unhealthy');
    expect((await health(r.id))?.failingStreak).toBeGreaterThanOrEqual(2);
    expect(published).toEqual(['health_status: healthy', 'health_status: unhealthy']);
  });

  it('stops probing when the container stops (then unhealthy), and starts over as starting on the next start', async () => {
    const r = await create({ test: ['CMD', 'true'], intervalNs: 20e6 });
    await mgr.start(r.id);
    await until(async () => (await health(r.id))?.status === 'healthy');
    await mgr.kill(r.id);
    await until(async () => (await health(r.id))?.status === 'unhealthy');
    const n = probes;
    await new Promise((res) => setTimeout(res, 80));
    expect(probes).toBe(n);
    await mgr.start(r.id);
    await until(async () => (await health(r.id))?.status === 'healthy');
    expect((await health(r.id))?.log.length).toBeGreaterThan(1);
  });

  it('is starting until the first probe', async () => {
    const r = await create({ test: ['CMD', 'true'], intervalNs: 60e9 });
    await mgr.start(r.id);
    await until(async () => (await health(r.id)) !== undefined);
    expect(await health(r.id)).toEqual({ status: 'starting', failingStreak: 0, log: [] });
  });

  it('skips probes while paused', async () => {
    const r = await create({ test: ['CMD', 'true'], intervalNs: 10e6 });
    await mgr.start(r.id);
    await until(async () => (await health(r.id))?.status === 'healthy');
    await mgr.pause(r.id);
    const n = probes;
    await new Promise((res) => setTimeout(res, 60));
    expect(probes).toBeLessThanOrEqual(n + 1);
  });

  it('runs nothing for NONE, and resumes the probes of a running container after a daemon restart', async () => {
    const off = await create({ test: ['NONE'] });
    await mgr.start(off.id);
    await new Promise((res) => setTimeout(res, 30));
    expect([await health(off.id), probes]).toEqual([undefined, 0]);

    const r = await mgr.create({ lowers: [join(dir, 'layer')], cmd: ['sleep', '1'], network: { kind: 'host' }, healthcheck: { test: ['CMD', 'true'], intervalNs: 20e6 }, name: 'hc2' });
    await mgr.start(r.id);
    await until(async () => (await health(r.id))?.status === 'healthy');
    monitor.close();
    exitCode = 1;
    monitor = new HealthMonitor({ manager: mgr, events, log: pino({ level: 'silent' }), publish: (action) => published.push(action) });
    await monitor.resume();
    await until(async () => (await health(r.id))?.status === 'unhealthy');
  });
});

describe(containerHealthConfig.name, () => {
  it("lays the request's fields over the image's HEALTHCHECK and checks both", () => {
    expect(containerHealthConfig({ Test: ['CMD-SHELL', 'check'], Interval: 5e9 }, { Retries: 2 })).toMatchObject({ test: ['CMD-SHELL', 'check'], intervalNs: 5e9, retries: 2 });
    expect(containerHealthConfig({ Test: ['CMD-SHELL', 'check'] }, { Test: ['NONE'] })?.test).toEqual(['NONE']);
    expect(() => containerHealthConfig(undefined, { Test: ['CMD'], Interval: 10 })).toThrow('Interval in Healthcheck cannot be less than 1ms');
  });
});
