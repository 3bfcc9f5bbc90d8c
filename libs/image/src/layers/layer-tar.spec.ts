import { gzipSync } from 'node:zlib';
import { InvalidParameterError } from '@app/common';
import { Readable } from 'node:stream';
import { classifyEntry, safeEntryPath, walkLayer } from './layer-tar';
import { packLayer } from './layer-writer';
import { rawTar } from '../testing/hostile-tar';
import { within } from '../testing/fuzz';

describe('classifyEntry', () => {
  it.each([
    { name: 'a plain file', input: './etc/passwd', out: { kind: 'plain', path: 'etc/passwd' } },
    { name: 'an absolute name', input: '/etc/passwd', out: { kind: 'plain', path: 'etc/passwd' } },
    { name: 'a directory with slash', input: 'etc/', out: { kind: 'plain', path: 'etc' } },
    { name: 'the root', input: './', out: { kind: 'plain', path: '' } },
    { name: 'a whiteout', input: 'etc/.wh.passwd', out: { kind: 'whiteout', path: 'etc/passwd' } },
    { name: 'a root whiteout', input: '.wh.tmp', out: { kind: 'whiteout', path: 'tmp' } },
    { name: 'an opaque marker', input: 'var/.wh..wh..opq', out: { kind: 'opaque', dir: 'var' } },
    { name: 'aufs metadata', input: '.wh..wh.plnk/1.2', out: { kind: 'plain', path: '.wh..wh.plnk/1.2' } },
    { name: 'an aufs meta file', input: '.wh..wh.aufs', out: { kind: 'meta' } },
  ])('reads $name', ({ input, out }) => {
    expect(classifyEntry(input)).toEqual(out);
  });

  it.each(['../x', 'a/../../x', '..'])('rejects %s', (name) => {
    expect(() => safeEntryPath(name)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: `tar entry ${JSON.stringify(name)} points outside the layer root` }));
  });
});

describe('walkLayer', () => {
  it('returns the same diff id for plain and gzipped tars', async () => {
    const layer = await packLayer([{ path: 'a', type: 'file', data: Buffer.from('x') }]);
    const names: string[] = [];
    const plain = await walkLayer(Readable.from([layer.tar]), async (h) => void names.push(h.name));
    const gz = await walkLayer(Readable.from([gzipSync(layer.tar)]), async () => undefined);
    expect(plain).toBe(layer.diffId);
    expect(gz).toBe(layer.diffId);
    expect(names).toEqual(['a']);
  });

  it('fails on a truncated gzip stream', async () => {
    const layer = await packLayer([{ path: 'a', type: 'file', data: Buffer.alloc(10000, 1) }]);
    const gz = gzipSync(layer.tar);
    await expect(walkLayer(Readable.from([gz.subarray(0, gz.length - 20)]), async () => undefined)).rejects.toThrow();
  });

  it('gives a directory that claims a size an empty body instead of one that never ends', async () => {
    const tar = rawTar([{ name: 'd/', type: '5', size: 1 }, { name: 'f', data: Buffer.from('x') }]);
    const read: string[] = [];
    await within(2000, () => walkLayer(Readable.from([tar]), async (h, _m, body) => {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      read.push(`${h.name}=${Buffer.concat(chunks).toString()}`);
    })).catch(() => undefined);
    expect(read[0]).toBe('d/=');
  });

  it.each([
    { name: 'a bad checksum', tar: () => { const t = rawTar([{ name: 'a', data: Buffer.from('x') }]); t[0] ^= 1; return t; }, message: 'archive/tar: invalid tar header' },
    { name: 'an entry cut short', tar: () => rawTar([{ name: 'a', size: 8 * 1024 ** 3, data: Buffer.alloc(100) }], false), message: 'unexpected EOF' },
    { name: 'gzip cut short', tar: () => gzipSync(rawTar([{ name: 'a', data: Buffer.alloc(5000, 7) }])).subarray(0, 30), message: 'unexpected EOF' },
  ])('fails on $name with a 400 in Go wording', async ({ tar, message }) => {
    await expect(walkLayer(Readable.from([tar()]), async () => undefined)).rejects.toMatchObject({ kind: 'invalid-parameter', message });
  });

  it('stops reading at once when the handler refuses an entry, however large it claims to be', async () => {
    const source = (async function* () {
      yield rawTar([{ name: 'big', size: 8 * 1024 ** 3 }], false);
      // data arrives in macrotasks, as from a socket (and so the time limit can fire)
      for (;;) yield await new Promise<Buffer>((r) => setImmediate(() => r(Buffer.alloc(64 * 1024))));
    })();
    const refuse = async () => {
      throw new InvalidParameterError('refused');
    };
    await expect(within(2000, () => walkLayer(source, refuse))).rejects.toMatchObject({ message: 'refused' });
  });

  it('passes an error of the source stream on as it is', async () => {
    const source = (async function* () {
      yield Buffer.alloc(512, 0);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    })();
    await expect(walkLayer(source, async () => undefined)).rejects.toMatchObject({ message: 'aborted', code: 'ECONNRESET' });
  });
});
