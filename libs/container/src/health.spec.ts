import { applyProbe, checkHealthConfig, goDuration, mergeHealthConfig, nextProbeDelayMs, probeArgs, probeOutput, startingHealth, type HealthConfig, type HealthResult } from './health';

const t0 = '2026-01-01T00:00:00.000Z';
const at = (s: number, exitCode: number): HealthResult => ({ start: new Date(Date.parse(t0) + s * 1000).toISOString(), end: '', exitCode, output: '' });
const cfg = (o: Partial<HealthConfig> = {}): HealthConfig => ({ test: ['CMD', 'true'], ...o });

describe('applyProbe', () => {
  it('turns healthy on success and clears the streak', () => {
    const h = applyProbe({ status: 'starting', failingStreak: 2, log: [] }, at(31, 0), cfg(), t0);
    expect(h).toMatchObject({ status: 'healthy', failingStreak: 0 });
  });

  it('turns unhealthy after `retries` failures in a row (default 3), staying healthy before that', () => {
    let h = applyProbe(startingHealth(undefined), at(30, 0), cfg(), t0);
    for (const s of [60, 90]) h = applyProbe(h, at(s, 1), cfg(), t0);
    expect(h).toMatchObject({ status: 'healthy', failingStreak: 2 });
    h = applyProbe(h, at(120, 1), cfg(), t0);
    expect(h).toMatchObject({ status: 'unhealthy', failingStreak: 3 });
    expect(applyProbe(startingHealth(undefined), at(1, 7), cfg({ retries: 1 }), t0)).toMatchObject({ status: 'unhealthy', failingStreak: 1 });
  });

  it('does not count failures while starting within the start period', () => {
    const h = applyProbe(startingHealth(undefined), at(5, 1), cfg({ startPeriodNs: 10e9, retries: 1 }), t0);
    expect(h).toMatchObject({ status: 'starting', failingStreak: 0 });
    expect(applyProbe(h, at(11, 1), cfg({ startPeriodNs: 10e9, retries: 1 }), t0)).toMatchObject({ status: 'unhealthy' });
  });

  it('keeps the last five results', () => {
    let h = startingHealth(undefined);
    for (let i = 0; i < 7; i++) h = applyProbe(h, at(i, 0), cfg(), t0);
    expect(h.log.map((l) => l.start)).toEqual([2, 3, 4, 5, 6].map((s) => at(s, 0).start));
  });
});

describe('checkHealthConfig', () => {
  it.each([
    { name: 'an interval under 1ms', c: cfg({ intervalNs: 5 }), message: 'Interval in Healthcheck cannot be less than 1ms' },
    { name: 'a negative timeout', c: cfg({ timeoutNs: -1e9 }), message: 'Timeout in Healthcheck cannot be less than 1ms' },
    { name: 'a tiny start period', c: cfg({ startPeriodNs: 10 }), message: 'StartPeriod in Healthcheck cannot be less than 1ms' },
    { name: 'negative retries', c: cfg({ retries: -1 }), message: 'Retries in Healthcheck cannot be negative' },
    { name: 'an unknown test type', c: cfg({ test: ['RUN', 'x'] }), message: 'unknown Healthcheck test type "RUN": use NONE, CMD or CMD-SHELL' },
    { name: 'CMD without a command', c: cfg({ test: ['CMD'] }), message: 'Healthcheck CMD needs a command' },
  ])('refuses $name', ({ c, message }) => {
    expect(() => checkHealthConfig(c)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }) as Error);
  });

  it('accepts NONE, an empty test (inherit) and zero durations (defaults)', () => {
    for (const test of [['NONE'], [], ['CMD-SHELL', 'true']]) expect(() => checkHealthConfig({ test, intervalNs: 0, retries: 0 })).not.toThrow();
  });
});

describe('mergeHealthConfig, probeArgs, timing and output', () => {
  it("takes the image's test and fields where the request has none", () => {
    const image = cfg({ test: ['CMD-SHELL', 'curl -f x'], intervalNs: 5e9, retries: 4 });
    expect(mergeHealthConfig(image, undefined)).toBe(image);
    expect(mergeHealthConfig(image, { test: [], intervalNs: 2e9 })).toEqual({ test: ['CMD-SHELL', 'curl -f x'], intervalNs: 2e9, timeoutNs: undefined, startPeriodNs: undefined, startIntervalNs: undefined, retries: 4 });
    expect(mergeHealthConfig(image, { test: ['NONE'] })?.test).toEqual(['NONE']);
  });

  it('runs CMD-SHELL through /bin/sh -c and CMD as given', () => {
    expect(probeArgs(cfg({ test: ['CMD-SHELL', 'test -f /x'] }))).toEqual(['/bin/sh', '-c', 'test -f /x']);
    expect(probeArgs(cfg({ test: ['CMD', 'cat', '/x'] }))).toEqual(['cat', '/x']);
  });

  it('probes on the interval (default 30 s), on the start interval while in the start period', () => {
    const now = Date.parse(t0) + 1000;
    expect(nextProbeDelayMs(startingHealth(undefined), cfg(), t0, now)).toBe(30_000);
    expect(nextProbeDelayMs(startingHealth(undefined), cfg({ startPeriodNs: 60e9 }), t0, now)).toBe(5000);
    expect(nextProbeDelayMs({ status: 'healthy', failingStreak: 0, log: [] }, cfg({ startPeriodNs: 60e9, intervalNs: 2e9 }), t0, now)).toBe(2000);
  });

  it('keeps 4096 bytes of stdout then stderr, and names durations as Go does', () => {
    expect(probeOutput('out\n', 'err\n')).toBe('out\nerr\n');
    expect(probeOutput('x'.repeat(5000), '').length).toBe(4096);
    expect([30e9, 90e9, 5e8, 1e9, 3600e9].map(goDuration)).toEqual(['30s', '1m30s', '500ms', '1s', '1h0m0s']);
  });
});
