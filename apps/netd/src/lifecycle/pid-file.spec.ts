import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimPidFile } from './pid-file';

describe('claimPidFile', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'netd-pid-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes this process id, and release removes the file', () => {
    const path = join(dir, 'data', 'netd.pid');
    const held = claimPidFile(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    held.release();
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a data root whose pid file names a running process, and leaves the file alone', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const path = join(dir, 'netd.pid');
      writeFileSync(path, `${other.pid}\n`);
      expect(() => claimPidFile(path)).toThrow(`process with PID ${other.pid} is still running`);
      expect(readFileSync(path, 'utf8')).toBe(`${other.pid}\n`);
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
  });

  it('takes over a pid file left by a process that no longer runs (kill -9)', () => {
    const gone = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
    const path = join(dir, 'netd.pid');
    writeFileSync(path, `${gone}\n`);
    claimPidFile(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('takes over an empty or garbled pid file', () => {
    const path = join(dir, 'netd.pid');
    writeFileSync(path, 'not a pid');
    claimPidFile(path);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
  });

  it('release does not remove a file another process has claimed since', () => {
    const path = join(dir, 'netd.pid');
    const held = claimPidFile(path);
    writeFileSync(path, '1\n');
    held.release();
    expect(readFileSync(path, 'utf8')).toBe('1\n');
  });
});
