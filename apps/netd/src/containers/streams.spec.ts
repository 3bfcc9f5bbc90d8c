import { ZERO_TIME, INITIAL_STATE, type ContainerRecord } from '@app/container';
import { humanDuration, statusText } from './container-view';
import { describe as describeError } from '../http/error.filter';
import { DetachKeys, encodeEntry, frame, hijackHead, streamRoute } from './streams';

describe('frame', () => {
  it('writes the 8-byte stdcopy header', () => {
    expect([...frame('stderr', 'hi')]).toEqual([2, 0, 0, 0, 0, 0, 0, 2, 104, 105]);
    expect(encodeEntry({ time: 'T', stream: 'stdout', text: 'x\n' }, true, true).toString()).toBe('T x\n');
  });

  it('answers an upgrade with 101 and the stream content type', () => {
    expect(hijackHead(true, false)).toMatch(/^HTTP\/1.1 101 UPGRADED\r\nContent-Type: application\/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n/);
    expect(hijackHead(false, true)).toMatch(/^HTTP\/1.1 200 OK\r\nContent-Type: application\/vnd.docker.raw-stream/);
  });
});

describe('statusText', () => {
  const rec = (state: Partial<ContainerRecord['state']>) => ({ state: { ...INITIAL_STATE, ...state } }) as ContainerRecord;
  it.each([
    { name: 'created', state: {}, text: 'Created' },
    { name: 'running', state: { running: true, status: 'running' as const, startedAt: new Date(0).toISOString() }, text: 'Up 3 minutes' },
    { name: 'exited', state: { status: 'exited' as const, exitCode: 137, finishedAt: new Date(0).toISOString() }, text: 'Exited (137) 3 minutes ago' },
    { name: 'exited, never finished', state: { status: 'exited' as const, finishedAt: ZERO_TIME }, text: 'Created' },
  ])('$name', ({ state, text }) => {
    expect(statusText(rec(state), 180_000)).toBe(text);
  });

  it('humanises like docker', () => {
    expect([500, 1000, 45_000, 60_000, 3_600_000, 72 * 3_600_000].map(humanDuration)).toEqual(['Less than a second', '1 second', '45 seconds', 'About a minute', 'About an hour', '3 days']);
  });
});

describe('DetachKeys', () => {
  const b = (...x: number[]) => Buffer.from(x);
  it('passes input through and detaches on the sequence, split across reads', () => {
    const d = new DetachKeys(b(16, 17));
    expect(d.push(Buffer.from('ls\r'))).toEqual({ pass: Buffer.from('ls\r'), detach: false });
    expect(d.push(b(97, 16))).toEqual({ pass: b(97), detach: false });
    expect(d.push(b(17, 98))).toEqual({ pass: b(), detach: true });
  });

  it('gives back a held prefix that turned out to be input, and restarts the match on it', () => {
    const d = new DetachKeys(b(16, 17));
    expect(d.push(b(16, 16, 17))).toEqual({ pass: b(16), detach: true });
    const e = new DetachKeys(b(1, 2, 3));
    expect(e.push(b(1, 2, 9))).toEqual({ pass: b(1, 2, 9), detach: false });
  });
});

describe('streamRoute', () => {
  it('decodes the id once and keeps the query', () => {
    expect(streamRoute('POST', '/containers/a%2525b/attach?stream=1&stdout=1')).toMatchObject({ attach: 'a%25b' });
    expect(streamRoute('POST', '/exec/x%20y/start/')).toEqual({ exec: 'x y' });
  });

  it.each([
    ['POST', 'http://x:99999/exec/a/start', 400], ['POST', '/exec/%E0%A4%A/start', 400], ['POST', '/containers/a/attach?logs=1&logs=1', 400],
    ['GET', '/exec/a/start', 404], ['POST', '/exec/a/resize', 404], ['POST', '/containers//attach', 404],
  ])('%s %s → %d', (method, target, status) => {
    let thrown: unknown;
    try {
      streamRoute(method, target);
    } catch (e) {
      thrown = e;
    }
    expect(describeError(thrown).status).toBe(status);
  });
});
