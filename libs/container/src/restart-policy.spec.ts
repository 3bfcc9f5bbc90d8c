import { parseRestartPolicy, restartDelayMs, shouldRestart, type RestartContext } from './restart-policy';

const ctx = (o: Partial<RestartContext>): RestartContext => ({ exitCode: 1, restartCount: 0, manuallyStopped: false, daemonStarting: false, ...o });

describe('parseRestartPolicy', () => {
  it.each([
    { name: 'no', input: 'no', out: { name: 'no', maximumRetryCount: 0 } },
    { name: 'always', input: 'always', out: { name: 'always', maximumRetryCount: 0 } },
    { name: 'unless-stopped', input: 'unless-stopped', out: { name: 'unless-stopped', maximumRetryCount: 0 } },
    { name: 'on-failure', input: 'on-failure', out: { name: 'on-failure', maximumRetryCount: 0 } },
    { name: 'on-failure:3', input: 'on-failure:3', out: { name: 'on-failure', maximumRetryCount: 3 } },
  ])('parses $name', ({ input, out }) => {
    expect(parseRestartPolicy(input)).toEqual(out);
  });

  it.each([
    { name: 'unknown policy', input: 'sometimes', message: "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'" },
    { name: 'count on always', input: 'always:2', message: "maximum retry count cannot be used with restart policy 'always'" },
    { name: 'negative count', input: 'on-failure:-1', message: 'invalid restart policy: maximum retry count must be a positive integer' },
    { name: 'too many parts', input: 'on-failure:1:2', message: 'invalid restart policy format: on-failure:1:2' },
  ])('rejects $name', ({ input, message }) => {
    expect(() => parseRestartPolicy(input)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});

describe('shouldRestart', () => {
  const p = parseRestartPolicy;
  it.each([
    { name: 'no never restarts', policy: 'no', c: ctx({}), want: false },
    { name: 'always restarts after exit 0', policy: 'always', c: ctx({ exitCode: 0 }), want: true },
    { name: 'always stays stopped after a manual stop', policy: 'always', c: ctx({ manuallyStopped: true }), want: false },
    { name: 'always comes back at daemon start even if stopped by hand', policy: 'always', c: ctx({ manuallyStopped: true, daemonStarting: true }), want: true },
    { name: 'unless-stopped restarts after a crash', policy: 'unless-stopped', c: ctx({}), want: true },
    { name: 'unless-stopped stays stopped at daemon start after a manual stop', policy: 'unless-stopped', c: ctx({ manuallyStopped: true, daemonStarting: true }), want: false },
    { name: 'on-failure ignores exit 0', policy: 'on-failure', c: ctx({ exitCode: 0 }), want: false },
    { name: 'on-failure restarts on non-zero', policy: 'on-failure', c: ctx({ exitCode: 2, restartCount: 50 }), want: true },
    { name: 'on-failure:2 restarts while under the limit', policy: 'on-failure:2', c: ctx({ restartCount: 1 }), want: true },
    { name: 'on-failure:2 stops at the limit', policy: 'on-failure:2', c: ctx({ restartCount: 2 }), want: false },
    { name: 'on-failure ignores manual stops', policy: 'on-failure', c: ctx({ manuallyStopped: true }), want: false },
  ])('$name', ({ policy, c, want }) => {
    expect(shouldRestart(p(policy), c)).toBe(want);
  });
});

describe('restartDelayMs', () => {
  it('doubles from 100 ms and caps at a minute', () => {
    expect([0, 1, 2, 3, 20].map(restartDelayMs)).toEqual([100, 200, 400, 800, 60_000]);
  });
});
