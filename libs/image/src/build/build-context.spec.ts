import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { rawTar } from '../testing/hostile-tar';
import { BuildContext } from './build-context';

describe(BuildContext.name, () => {
  let ctx: string;
  beforeEach(() => {
    ctx = mkdtempSync(join(tmpdir(), 'netd-ctx-'));
  });
  afterEach(() => rmSync(ctx, { recursive: true, force: true }));

  describe('copy', () => {
    it('stops an ADDed archive that unpacks to more than the limit (a gzip bomb) instead of holding it all', async () => {
      writeFileSync(join(ctx, 'bomb.tar.gz'), gzipSync(rawTar([{ name: 'zeros', data: Buffer.alloc(4 * 1024 * 1024) }])));
      const c = await BuildContext.open(ctx);
      await expect(c.copy(['bomb.tar.gz'], '/', 2, { extractArchives: true, maxArchiveBytes: 1024 * 1024 })).rejects.toMatchObject({
        kind: 'invalid-parameter', message: 'ADD bomb.tar.gz: the archive unpacks to more than 1048576 bytes',
      });
      expect((await c.copy(['bomb.tar.gz'], '/', 2, { extractArchives: true })).files.map((f) => f.path)).toEqual(['zeros']);
    });
  });
});
