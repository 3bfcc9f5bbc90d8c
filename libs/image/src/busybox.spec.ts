import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { Readable } from 'node:stream';
import { BUSYBOX_GROUP, BUSYBOX_PASSWD, busyboxImage } from './busybox';
import { MemoryImageStore } from './store/memory-image-store';

async function entries(tar: Buffer): Promise<Map<string, { type: string; mode: number; data: string; linkname?: string }>> {
  const out = new Map<string, { type: string; mode: number; data: string; linkname?: string }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => ex.on('finish', resolve).on('error', reject));
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.set(h.name.replace(/\/$/, ''), { type: h.type ?? 'file', mode: h.mode ?? 0, data: Buffer.concat(chunks).toString(), linkname: h.linkname ?? undefined });
      next();
    });
  });
  Readable.from([tar]).pipe(ex);
  await done;
  return out;
}

describe('busyboxImage', () => {
  it("has Docker Hub busybox's skeleton: sticky /tmp, /root, /home, /var, passwd and group", async () => {
    const store = new MemoryImageStore();
    // any regular file stands in for the binary
    const img = await busyboxImage(store, { binary: __filename, applets: ['/bin/sh', '/usr/bin/wget', '/sbin/ifconfig'] });
    const manifest = JSON.parse((await store.readBlob(img.manifestDigest)).toString()) as { layers: { digest: string }[] };
    expect(manifest.layers).toHaveLength(1);
    const files = await entries(gunzipSync(await store.readBlob(manifest.layers[0].digest)));
    expect(files.get('tmp')).toMatchObject({ type: 'directory', mode: 0o1777 });
    expect(files.get('root')).toMatchObject({ type: 'directory', mode: 0o700 });
    for (const dir of ['home', 'var', 'var/spool/mail', 'var/www', 'etc', 'proc', 'sys', 'dev', 'usr/bin', 'sbin']) {
      expect(files.get(dir)).toMatchObject({ type: 'directory', mode: 0o755 });
    }
    expect(files.get('etc/passwd')).toMatchObject({ type: 'file', mode: 0o644, data: BUSYBOX_PASSWD });
    expect(files.get('etc/group')).toMatchObject({ type: 'file', mode: 0o644, data: BUSYBOX_GROUP });
    expect(BUSYBOX_PASSWD).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh$/m);
    expect(BUSYBOX_PASSWD).toMatch(/^nobody:x:65534:65534:nobody:\/home:\/bin\/false$/m);
    expect(BUSYBOX_GROUP).toMatch(/^nogroup:x:65534:$/m);
    expect(files.get('bin/sh')).toMatchObject({ type: 'symlink', linkname: '/bin/busybox' });
    // parents before children, each directory once
    const names = [...files.keys()];
    expect(names.indexOf('usr')).toBeLessThan(names.indexOf('usr/bin'));
    expect(names.filter((n) => n === 'usr')).toHaveLength(1);
  });
});
