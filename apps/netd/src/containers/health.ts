import {
  applyProbe, checkHealthConfig, goDuration, HEALTH_DEFAULTS, healthEnabled, mergeHealthConfig, nextProbeDelayMs, probeArgs, probeOutput, startingHealth,
  type ContainerManager, type ContainerRecord, type HealthConfig, type HealthResult, type HealthState,
} from '@app/container';
import type { Logger } from 'pino';
import type { EventMessage, EventsService } from '../events/events.service';

/** Docker's HealthConfig on the wire (durations in ns, zero fields omitted). */
export interface HealthConfigWire {
  Test?: string[] | null;
  Interval?: number | null;
  Timeout?: number | null;
  StartPeriod?: number | null;
  StartInterval?: number | null;
  Retries?: number | null;
}

/** null is a field not given, as Go's JSON decoding makes it (docker-py sends every field, unset ones as null). */
export function healthFromWire(w: HealthConfigWire | null | undefined): HealthConfig | undefined {
  if (!w) return undefined;
  return {
    test: w.Test ?? [], intervalNs: w.Interval ?? undefined, timeoutNs: w.Timeout ?? undefined, startPeriodNs: w.StartPeriod ?? undefined,
    startIntervalNs: w.StartInterval ?? undefined, retries: w.Retries ?? undefined,
  };
}

export function healthToWire(c: HealthConfig): HealthConfigWire {
  return {
    ...(c.test.length > 0 ? { Test: [...c.test] } : {}), ...(c.intervalNs ? { Interval: c.intervalNs } : {}), ...(c.timeoutNs ? { Timeout: c.timeoutNs } : {}),
    ...(c.startPeriodNs ? { StartPeriod: c.startPeriodNs } : {}), ...(c.startIntervalNs ? { StartInterval: c.startIntervalNs } : {}), ...(c.retries ? { Retries: c.retries } : {}),
  };
}

/** A container event's attributes as dockerd gives them: name, image, labels. */
export function containerEventAttributes(r: ContainerRecord): Record<string, string> {
  return { name: r.name.slice(1), ...(r.spec.image ? { image: r.spec.image } : {}), ...(r.spec.labels ?? {}) };
}

/** State.Health as inspect shows it. */
export function healthStateView(h: HealthState) {
  return { Status: h.status, FailingStreak: h.failingStreak, Log: h.log.map((l) => ({ Start: l.start, End: l.end, ExitCode: l.exitCode, Output: l.output })) };
}

/** The image's HEALTHCHECK with the request's laid over it, checked (create's 400s). */
export function containerHealthConfig(image: HealthConfigWire | null | undefined, req: HealthConfigWire | null | undefined): HealthConfig | undefined {
  const own = healthFromWire(req);
  if (own) checkHealthConfig(own);
  const merged = mergeHealthConfig(healthFromWire(image), own);
  if (merged) checkHealthConfig(merged);
  return merged;
}

export interface HealthMonitorDeps {
  manager: ContainerManager;
  events: EventsService;
  /** Publish a container event (`health_status: healthy`) with Docker's attributes. */
  publish: (action: string, r: ContainerRecord) => void;
  log: Logger;
}

/**
 * Runs each container's health check by exec on its interval while it runs (moby daemon/health.go):
 * State.Health in the record, `health_status: …` events when the status changes. Probes start
 * with each start, stop with the exit (the status is then unhealthy, as dockerd shows it), skip
 * while paused, and resume after a daemon restart with the status recorded.
 */
export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(private readonly d: HealthMonitorDeps) {
    this.unsubscribe = d.events.subscribe(undefined, (e) => this.onEvent(e)).unsubscribe;
  }

  /** Daemon start, after the containers were adopted: resume the probes of those running. */
  async resume(): Promise<void> {
    for (const r of await this.d.manager.list()) {
      if (!r.state.running || !healthEnabled(r.spec.healthcheck)) continue;
      const cur = r.health ? r : await this.d.manager.patch(r.id, (x) => ({ ...x, health: startingHealth(x.health) }));
      this.schedule(cur);
    }
  }

  /** Daemon shutdown: no more probes (the next daemon resumes them). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private onEvent(e: EventMessage): void {
    if (e.Type !== 'container') return;
    const id = e.Actor.ID;
    if (e.Action === 'start') void this.begin(id).catch((err) => this.d.log.warn({ err, container: id }, 'health check start'));
    else if (e.Action === 'die') void this.end(id).catch(() => undefined);
    else if (e.Action === 'destroy') this.cancel(id);
  }

  private async begin(id: string): Promise<void> {
    const r = await this.d.manager.patch(id, (x) => (healthEnabled(x.spec.healthcheck) && x.state.running ? { ...x, health: startingHealth(x.health) } : undefined));
    if (healthEnabled(r.spec.healthcheck) && r.state.running) this.schedule(r);
  }

  private async end(id: string): Promise<void> {
    const had = this.cancel(id);
    if (!had) return;
    await this.d.manager.patch(id, (x) => (x.health && x.health.status !== 'unhealthy' && !x.state.running ? { ...x, health: { ...x.health, status: 'unhealthy' } } : undefined));
  }

  private cancel(id: string): boolean {
    const t = this.timers.get(id);
    clearTimeout(t);
    return this.timers.delete(id);
  }

  private schedule(r: ContainerRecord): void {
    if (this.closed) return;
    this.cancel(r.id);
    const hc = r.spec.healthcheck!;
    const delay = nextProbeDelayMs(r.health ?? startingHealth(undefined), hc, r.state.startedAt, Date.now());
    const timer = setTimeout(() => void this.probe(r.id, r.state.startedAt).catch((err) => this.d.log.warn({ err, container: r.id }, 'health check')), delay);
    timer.unref();
    this.timers.set(r.id, timer);
  }

  /** One probe of the run that started at `startedAt`; a later run or a stop makes it moot. */
  private async probe(id: string, startedAt: string): Promise<void> {
    const live = (x: ContainerRecord | undefined) => !!x && x.state.running && x.state.startedAt === startedAt && healthEnabled(x.spec.healthcheck);
    const r = await this.d.manager.inspect(id).catch(() => undefined);
    if (!live(r) || !this.timers.has(id)) return;
    if (r!.state.paused) return this.schedule(r!);
    const hc = r!.spec.healthcheck!;
    const timeoutNs = hc.timeoutNs || HEALTH_DEFAULTS.timeoutNs;
    const start = new Date();
    let result: HealthResult;
    try {
      const out = await this.d.manager.exec(id, { args: probeArgs(hc), timeoutMs: timeoutNs / 1e6 });
      result = { start: start.toISOString(), end: new Date().toISOString(), exitCode: out.exitCode, output: probeOutput(out.stdout, out.stderr) };
    } catch (e) {
      const now = await this.d.manager.inspect(id).catch(() => undefined);
      if (!live(now)) return;
      if (now!.state.paused) return this.schedule(now!);
      const timedOut = (Date.now() - start.getTime()) * 1e6 >= timeoutNs;
      result = {
        start: start.toISOString(), end: new Date().toISOString(), exitCode: -1,
        output: timedOut ? `Health check exceeded timeout (${goDuration(timeoutNs)})` : (e as Error).message,
      };
    }
    let before: string | undefined;
    const next = await this.d.manager.patch(id, (x) => {
      if (!live(x)) return undefined;
      before = x.health?.status;
      return { ...x, health: applyProbe(x.health ?? startingHealth(undefined), result, hc, startedAt) };
    }).catch(() => undefined);
    if (!live(next) || !this.timers.has(id)) return;
    if (before !== undefined && before !== next!.health!.status) this.d.publish(`health_status: ${next!.health!.status}`, next!);
    this.schedule(next!);
  }
}
