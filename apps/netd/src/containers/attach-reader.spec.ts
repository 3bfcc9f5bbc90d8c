import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logOffset, missedOutput } from './attach-reader';

describe('missedOutput', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'netd-attach-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const T = '2026-01-01T00:00:00.000000000Z';

  it('returns, per stream, what the log holds past the offset beyond the bytes already sent', async () => {
    const log = join(dir, 'container.log');
    writeFileSync(log, `${T} stdout F before attach\n`);
    const offset = await logOffset(log);
    writeFileSync(log, `${T} stdout F before attach\n${T} stdout F hello\n${T} stdout P wor\n${T} stdout F ld\n${T} stderr F done\n`);
    expect(await missedOutput(log, offset, { stdout: 6, stderr: 0 })).toEqual([
      { time: expect.any(String), stream: 'stdout', text: 'world\n' },
      { time: expect.any(String), stream: 'stderr', text: 'done\n' },
    ]);
    expect(await missedOutput(log, offset, { stdout: 12, stderr: 5 })).toEqual([]);
  });

  it('is empty without a log, and the offset of a missing log is 0', async () => {
    expect(await logOffset(join(dir, 'none'))).toBe(0);
    expect(await missedOutput(join(dir, 'none'), 0, { stdout: 0, stderr: 0 })).toEqual([]);
  });
});
