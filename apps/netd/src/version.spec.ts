import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildInfo, versionLine } from './version';

describe('buildInfo', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'netd-version-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'netd', version: '1.2.3' }));
    mkdirSync(join(root, 'dist/apps/netd/src'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("reads the version from the package's package.json and the commit from dist/build-info.json, walking up", () => {
    writeFileSync(join(root, 'dist/build-info.json'), JSON.stringify({ version: '1.2.3', commit: 'abcdef012345', built: '2026-01-01T00:00:00.000Z' }));
    const info = buildInfo(join(root, 'dist/apps/netd/src'));
    expect(info).toEqual({ version: '1.2.3', commit: 'abcdef012345', built: '2026-01-01T00:00:00.000Z' });
    expect(versionLine(info)).toBe('netd version 1.2.3, build abcdef012345');
  });

  it('says unknown without a build, and skips package.json files of other packages', () => {
    const nested = join(root, 'node_modules/other');
    mkdirSync(nested, { recursive: true });
    writeFileSync(join(nested, 'package.json'), JSON.stringify({ name: 'other', version: '9.9.9' }));
    expect(buildInfo(nested)).toEqual({ version: '1.2.3', commit: 'unknown', built: '' });
  });
});
