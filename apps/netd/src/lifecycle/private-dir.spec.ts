import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from './private-dir';

const modeOf = (p: string) => statSync(p).mode & 0o7777;

describe('ensurePrivateDir', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'netd-priv-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a missing directory with mode 0700 even under umask 0', () => {
    const old = process.umask(0);
    try {
      ensurePrivateDir(join(dir, 'a', 'root'), 'data root');
    } finally {
      process.umask(old);
    }
    expect(modeOf(join(dir, 'a', 'root'))).toBe(0o700);
  });

  it.each([0o755, 0o777, 0o711, 0o1777, 0o2755])('makes an existing directory of mode %o private', (mode) => {
    const root = join(dir, 'root');
    mkdirSync(root);
    chmodSync(root, mode);
    ensurePrivateDir(root, 'data root');
    expect(modeOf(root)).toBe(0o700);
  });

  it('refuses a path that is a file', () => {
    writeFileSync(join(dir, 'f'), 'x');
    expect(() => ensurePrivateDir(join(dir, 'f'), 'exec root')).toThrow(`exec root ${join(dir, 'f')} is not a directory`);
  });

  it('refuses a directory owned by another user and leaves its mode alone', () => {
    const root = join(dir, 'root');
    mkdirSync(root);
    chmodSync(root, 0o755);
    const other = (process.getuid?.() ?? 0) + 4242;
    expect(() => ensurePrivateDir(root, 'data root', other)).toThrow(/is owned by uid \d+, not by netd's user \(uid \d+\); refusing to use it/);
    expect(modeOf(root)).toBe(0o755);
  });
});
