import { createTempNetns, describeAsRoot, TempNetns } from '@app/kernel/testing';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeDir, startNetd } from './testing/netd-process';

const modeOf = (p: string) => statSync(p).mode & 0o7777;

describeAsRoot('the data and exec roots are private', () => {
  let host: TempNetns;
  let dir: string;

  beforeEach(async () => {
    host = await createTempNetns();
    dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
  });

  afterEach(async () => {
    await host?.dispose();
    removeDir(dir);
  });

  it('makes an existing 0755 data root and a new exec root 0700, under umask 0', async () => {
    mkdirSync(join(dir, 'data'));
    chmodSync(join(dir, 'data'), 0o755);
    const old = process.umask(0);
    let netd;
    try {
      netd = await startNetd({ hostNetns: host.ref.path, dir });
    } finally {
      process.umask(old);
    }
    try {
      expect(modeOf(join(dir, 'data'))).toBe(0o700);
      expect(modeOf(join(dir, 'run'))).toBe(0o700);
    } finally {
      await netd.kill9();
    }
  });

  it('refuses to start on a data root owned by another user, leaving it as it was', async () => {
    mkdirSync(join(dir, 'data'));
    chmodSync(join(dir, 'data'), 0o755);
    chownSync(join(dir, 'data'), 1234, 1234);
    const netd = await startNetd({ hostNetns: host.ref.path, dir, expectFailure: true });
    expect(await netd.exited).toBe(1);
    expect(netd.logs()).toContain(`data root ${join(dir, 'data')} is owned by uid 1234, not by netd's user (uid 0); refusing to use it`);
    expect(modeOf(join(dir, 'data'))).toBe(0o755);
  });
});
