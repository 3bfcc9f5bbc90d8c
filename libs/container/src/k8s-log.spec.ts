import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8sLogAssembler, parseK8sLine, readK8sLog, unsentOutput, type LogEntry } from './k8s-log';

const T = '2026-11-28T00:02:14.972152092+00:00';

describe('parseK8sLine', () => {
  it('splits time, stream, tag and text', () => {
    expect(parseK8sLine(`${T} stderr F err out`)).toEqual({ time: T, stream: 'stderr', partial: false, text: 'err out' });
    expect(parseK8sLine('garbage')).toBeUndefined();
  });

  // a TTY's output (`-t`) ends its lines with \r\n: conmon logs the \r, and the line must still parse
  it('keeps a carriage return and any other control character in the text', () => {
    expect(parseK8sLine(`${T} stdout F hello-tty\r`)).toEqual({ time: T, stream: 'stdout', partial: false, text: 'hello-tty\r' });
    expect(parseK8sLine(`${T} stdout P a\rb\u2028c`)).toEqual({ time: T, stream: 'stdout', partial: true, text: 'a\rb\u2028c' });
  });
});

describe('K8sLogAssembler', () => {
  it('joins partial pieces per stream and keeps the first piece time', () => {
    const a = new K8sLogAssembler();
    expect(a.push(`${T} stdout P hel`)).toBeUndefined();
    expect(a.push(`2026-11-28T00:02:15Z stderr F e`)).toEqual({ time: '2026-11-28T00:02:15Z', stream: 'stderr', text: 'e\n' });
    expect(a.push(`2026-11-28T00:02:16Z stdout F lo`)).toEqual({ time: T, stream: 'stdout', text: 'hello\n' });
  });
});

describe('readK8sLog', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'netd-log-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const collect = async (it: AsyncIterable<LogEntry>) => {
    const out: string[] = [];
    for await (const e of it) out.push(e.text);
    return out;
  };

  it('returns all entries, or the last N with tail', async () => {
    const file = join(dir, 'log');
    writeFileSync(file, [1, 2, 3].map((n) => `${T} stdout F line${n}\n`).join(''));
    expect(await collect(readK8sLog(file, {}, () => true))).toEqual(['line1\n', 'line2\n', 'line3\n']);
    expect(await collect(readK8sLog(file, { tail: 2 }, () => true))).toEqual(['line2\n', 'line3\n']);
    expect(await collect(readK8sLog(file, { tail: 0 }, () => true))).toEqual([]);
  });

  it('follows new output until the container is done', async () => {
    const file = join(dir, 'log');
    writeFileSync(file, `${T} stdout F a\n`);
    let done = false;
    const reading = collect(readK8sLog(file, { follow: true }, () => done, 10));
    await new Promise((r) => setTimeout(r, 30));
    appendFileSync(file, `${T} stdout F b\n`);
    await new Promise((r) => setTimeout(r, 30));
    done = true;
    expect(await reading).toEqual(['a\n', 'b\n']);
  });

  it('filters by since and until', async () => {
    const file = join(dir, 'log');
    writeFileSync(file, `2026-01-01T00:00:01Z stdout F early\n2026-01-01T00:00:05Z stdout F mid\n2026-01-01T00:00:09Z stdout F late\n`);
    const out = await collect(readK8sLog(file, { since: new Date('2026-01-01T00:00:03Z'), until: new Date('2026-01-01T00:00:06Z') }, () => true));
    expect(out).toEqual(['mid\n']);
  });

  it('yields nothing for a log not written yet', async () => {
    expect(await collect(readK8sLog(join(dir, 'missing'), {}, () => true))).toEqual([]);
  });
});

describe('unsentOutput', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netd-unsent-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'exec.log');
  writeFileSync(log, [
    '2026-11-28T05:00:00.000000001Z stdout F out',
    '2026-11-28T05:00:00.000000002Z stderr P e',
    '2026-11-28T05:00:00.000000003Z stderr F rr',
    '2026-11-28T05:00:00.000000004Z stdout P no newline',
    '',
  ].join('\n'));

  it('gives, per stream, what the log holds past the bytes already sent', async () => {
    const rest = await unsentOutput(log, { stdout: 4, stderr: 0 });
    expect(rest.map(([s, d]) => [s, d.toString()])).toEqual([['stdout', 'no newline'], ['stderr', 'err\n']]);
  });

  it('gives nothing when everything was sent, and nothing for a missing log', async () => {
    expect(await unsentOutput(log, { stdout: 14, stderr: 4 })).toEqual([]);
    expect(await unsentOutput(join(dir, 'none.log'), { stdout: 0, stderr: 0 })).toEqual([]);
  });
});
