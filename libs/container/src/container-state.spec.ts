import { describeStatus, INITIAL_STATE, transition, ZERO_TIME } from './container-state';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T00:05:00.000Z');

describe('transition', () => {
  it('starts a created container with pid and StartedAt', () => {
    const s = transition(INITIAL_STATE, { type: 'start', pid: 42, at: t0 });
    expect(s).toMatchObject({ status: 'running', running: true, pid: 42, startedAt: t0.toISOString(), finishedAt: ZERO_TIME, exitCode: 0 });
  });

  it('records an exit with code and FinishedAt', () => {
    const s = transition(transition(INITIAL_STATE, { type: 'start', pid: 42, at: t0 }), { type: 'exit', exitCode: 3, at: t1 });
    expect(s).toMatchObject({ status: 'exited', running: false, pid: 0, exitCode: 3, startedAt: t0.toISOString(), finishedAt: t1.toISOString() });
  });

  it('clears the previous exit code and error on a new start', () => {
    const exited = { ...transition(INITIAL_STATE, { type: 'start', pid: 1, at: t0 }), status: 'exited' as const, running: false, exitCode: 1, error: 'x' };
    expect(transition(exited, { type: 'start', pid: 2, at: t1 })).toMatchObject({ exitCode: 0, error: '', pid: 2 });
  });

  it('keeps a failed start created with exit code 128 and the error', () => {
    expect(transition(INITIAL_STATE, { type: 'start-failed', error: 'no such file' })).toMatchObject({ status: 'created', exitCode: 128, error: 'no such file' });
  });

  it('pauses and unpauses a running container: still running, Paused set and cleared', () => {
    const up = transition(INITIAL_STATE, { type: 'start', pid: 42, at: t0 });
    const paused = transition(up, { type: 'pause' });
    expect(paused).toMatchObject({ status: 'paused', running: true, paused: true, pid: 42 });
    expect(transition(paused, { type: 'unpause' })).toMatchObject({ status: 'running', running: true, paused: false });
    expect(transition(paused, { type: 'exit', exitCode: 137, at: t1 })).toMatchObject({ status: 'exited', running: false, paused: false });
  });

  it.each([
    { name: 'pause a created container', from: 'created' as const, ev: { type: 'pause' as const } },
    { name: 'unpause a running container', from: 'running' as const, ev: { type: 'unpause' as const } },
    { name: 'start a running container', from: 'running' as const, ev: { type: 'start' as const, pid: 1, at: t0 } },
    { name: 'restart-mark a running container', from: 'running' as const, ev: { type: 'restarting' as const } },
    { name: 'mark a created container dead', from: 'created' as const, ev: { type: 'dead' as const, error: 'x' } },
  ])('refuses to $name', ({ from, ev }) => {
    expect(() => transition({ ...INITIAL_STATE, status: from }, ev)).toThrow(expect.objectContaining({ kind: 'conflict' }));
  });
});

describe('describeStatus', () => {
  it.each([
    { name: 'created', s: INITIAL_STATE, want: 'Created' },
    { name: 'running', s: { ...INITIAL_STATE, status: 'running' as const, startedAt: t0.toISOString() }, want: 'Up 5 minutes' },
    { name: 'exited', s: { ...INITIAL_STATE, status: 'exited' as const, exitCode: 137, finishedAt: t0.toISOString() }, want: 'Exited (137) 5 minutes ago' },
  ])('$name', ({ s, want }) => {
    expect(describeStatus(s, t1)).toBe(want);
  });
});
