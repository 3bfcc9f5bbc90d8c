import { ZERO_TIME, INITIAL_STATE, type ContainerRecord } from '@app/container';
import { humanDuration, statusText } from './container-view';
import { encodeEntry, frame, hijackHead } from './streams';

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
