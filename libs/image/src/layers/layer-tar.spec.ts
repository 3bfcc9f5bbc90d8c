import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { classifyEntry, safeEntryPath, walkLayer } from './layer-tar';
import { packLayer } from './layer-writer';

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
});
