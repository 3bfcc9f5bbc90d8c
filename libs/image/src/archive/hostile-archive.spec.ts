import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Images } from '../images';
import { packLayer, type LayerFile } from '../layers/layer-writer';
import { jsonBytes, sha256 } from '../oci';
import { dir, file, makeImage } from '../testing/fixtures';
import { fixChecksum, headerOffsets, paxEntry, rawTar, type RawEntry } from '../testing/hostile-tar';
import { SnapshotImageStore } from '../testing/store-snapshot';
import { loadImages, MAX_ARCHIVE_METADATA_BYTES, saveImages } from './docker-archive';
import { importRootfs } from './import';

async function bytes(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const CONFIG = (diffIds: string[], extra: object = {}) => jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, ...extra });

/** A docker-archive of one image whose single layer is `layer`, with manifest.json overridable. */
function archive(layer: Buffer, o: { manifest?: unknown; config?: Buffer; before?: RawEntry[]; after?: RawEntry[] } = {}): Buffer {
  const config = o.config ?? CONFIG([sha256(layer)]);
  return rawTar([
    ...(o.before ?? []),
    { name: 'blobs/sha256/layer', data: layer },
    { name: 'blobs/sha256/config', data: config },
    { name: 'manifest.json', data: jsonBytes(o.manifest ?? [{ Config: 'blobs/sha256/config', RepoTags: ['hostile:1'], Layers: ['blobs/sha256/layer'] }]) },
    ...(o.after ?? []),
  ]);
}

describe('loadImages and importRootfs on hostile archives', () => {
  let store: SnapshotImageStore;
  let before: string;
  let layer: Buffer;

  beforeEach(async () => {
    store = new SnapshotImageStore();
    const img = await makeImage(store, [[file('kept', 'k')]]);
    await store.setTag('docker.io/library/hostile:1', img.manifestDigest);
    before = await store.snapshot();
    layer = (await packLayer([dir('etc'), file('etc/a', 'a')])).tar;
  });

  const valid = () => archive(layer);
  const corruptChecksum = () => {
    const b = valid();
    b[headerOffsets(b)[1] + 10] ^= 1;
    return b;
  };
  const wrongLayer = async () => archive((await packLayer([file('other', 'o')])).tar, { config: CONFIG([sha256(layer)]) });
  const layerWith = async (files: LayerFile[]) => archive((await packLayer(files)).tar);

  const cases: Array<{ name: string; tar: () => Buffer | Promise<Buffer>; message: string | RegExp }> = [
    { name: 'a bad header checksum', tar: corruptChecksum, message: 'archive/tar: invalid tar header' },
    { name: 'a truncated archive', tar: () => valid().subarray(0, 700), message: 'unexpected EOF' },
    { name: 'a truncated gzip archive', tar: () => gzipSync(valid()).subarray(0, 200), message: 'unexpected EOF' },
    { name: 'a file that claims 8 GiB', tar: () => rawTar([{ name: 'big', size: 8 * 1024 ** 3, data: Buffer.alloc(100) }], false), message: 'unexpected EOF' },
    { name: 'a 10 MB pax header', tar: () => rawTar([paxEntry({ comment: 'x'.repeat(10 * 1024 * 1024) }), { name: 'a', data: Buffer.from('a') }]), message: /header exceeds/ },
    { name: 'no manifest.json', tar: () => rawTar([{ name: 'x', data: Buffer.from('1') }]), message: 'invalid docker archive: no manifest.json' },
    {
      name: 'a blob whose content is not the digest it is named by',
      tar: () => {
        const named = `blobs/sha256/${'a'.repeat(64)}`;
        const manifest = [{ Config: named, RepoTags: ['hostile:1'], Layers: ['blobs/sha256/layer'] }];
        return rawTar([{ name: 'blobs/sha256/layer', data: layer }, { name: named, data: CONFIG([sha256(layer)]) }, { name: 'manifest.json', data: jsonBytes(manifest) }]);
      },
      message: /^invalid docker archive: blobs\/sha256\/a{64}: its content hashes to sha256:[0-9a-f]{64}$/,
    },
    { name: 'manifest.json an object', tar: () => archive(layer, { manifest: { Config: 'x' } }), message: 'invalid docker archive: manifest.json: json: cannot unmarshal object into Go value of type []tarexport.manifestItem' },
    { name: 'manifest.json not JSON', tar: () => rawTar([{ name: 'manifest.json', data: Buffer.from('[{') }]), message: /manifest.json: .*JSON/ },
    { name: 'a manifest entry a string', tar: () => archive(layer, { manifest: ['x'] }), message: /cannot unmarshal string/ },
    { name: 'Config missing', tar: () => archive(layer, { manifest: [{ Layers: ['blobs/sha256/layer'] }] }), message: /Config must be a non-empty string/ },
    { name: 'Layers missing', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config' }] }), message: /Layers must be a list/ },
    { name: 'Layers of numbers', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: [7] }] }), message: /Layers\[0\] must be a non-empty string/ },
    { name: 'RepoTags a string', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['blobs/sha256/layer'], RepoTags: 'x' }] }), message: /RepoTags must be a list/ },
    { name: 'a bad RepoTag', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['blobs/sha256/layer'], RepoTags: ['Bad Tag'] }] }), message: /invalid reference format/ },
    { name: 'a Config path with ..', tar: () => archive(layer, { manifest: [{ Config: '../../etc/passwd', Layers: ['blobs/sha256/layer'] }] }), message: /invalid path "..\/..\/etc\/passwd"/ },
    { name: 'an absolute Layers path', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['/etc/passwd'] }] }), message: /invalid path "\/etc\/passwd"/ },
    { name: 'a missing layer file', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['nope'] }] }), message: 'invalid docker archive: nope is missing' },
    { name: 'an archive entry with ..', tar: () => archive(layer, { before: [{ name: '../escape', data: Buffer.from('x') }] }), message: /points outside the layer root/ },
    { name: 'a hardlink to a missing file', tar: () => archive(layer, { after: [{ name: 'hl', type: '1', linkname: 'missing' }] }), message: 'invalid docker archive: invalid hardlink "hl" -> "missing"' },
    { name: 'a hardlink to an absolute target', tar: () => archive(layer, { after: [{ name: 'hl', type: '1', linkname: '/etc/passwd' }] }), message: 'invalid docker archive: invalid hardlink "hl" -> "etc/passwd"' },
    { name: 'a 300-byte name', tar: () => archive(layer, { before: [paxEntry({ path: 'n'.repeat(300) }), { name: 'x', data: Buffer.from('x') }] }), message: /file name too long/ },
    { name: 'a device node in the archive', tar: () => archive(layer, { after: [{ name: 'dev', type: '3', devmajor: 1, devminor: 3 }] }), message: /unsupported entry "dev" of type character-device/ },
    { name: 'a layer whose diff id does not match', tar: wrongLayer, message: /invalid diffID for layer 0: expected "sha256:[0-9a-f]{64}", got "sha256:[0-9a-f]{64}"/ },
    { name: 'a layer count mismatch', tar: () => archive(layer, { config: CONFIG([sha256(layer), sha256(layer)]) }), message: 'invalid docker archive: invalid manifest, layers length mismatch: expected 1, got 2' },
    { name: 'a layer file that is a symlink out of the archive', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['l.tar'] }], after: [{ name: 'l.tar', type: '2', linkname: '/etc/passwd' }] }), message: 'invalid docker archive: l.tar is missing' },
    { name: 'a layer file that climbs out by symlink', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['d/l.tar'] }], after: [{ name: 'd', type: '2', linkname: '../../../../etc' }] }), message: 'invalid docker archive: d/l.tar is missing' },
    { name: 'a symlink loop', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['a'] }], after: [{ name: 'a', type: '2', linkname: 'b' }, { name: 'b', type: '2', linkname: 'a' }] }), message: 'invalid docker archive: a is missing' },
    { name: 'a manifest.json over the limit', tar: () => archive(layer, { manifest: [{ Config: 'blobs/sha256/config', Layers: ['blobs/sha256/layer'], X: 'x'.repeat(MAX_ARCHIVE_METADATA_BYTES) }] }), message: /manifest.json is larger than/ },
    { name: 'a config of the wrong shape', tar: () => archive(layer, { config: CONFIG([sha256(layer)], { config: { Env: 'PATH=/' } }) }), message: 'invalid image config: config.Env must be a list of strings' },
    { name: 'config diff ids that are not digests', tar: () => archive(layer, { config: CONFIG(['../../x']) }), message: 'invalid image config: rootfs.diff_ids must be sha256 digests' },
    { name: 'a layer with an entry outside its root', tar: () => layerWith([{ path: '../../etc/passwd', type: 'file', data: Buffer.from('x') }]), message: /points outside the layer root/ },
    { name: 'a layer hardlink to a missing file', tar: () => layerWith([{ path: 'hl', type: 'link', linkname: 'missing' }]), message: 'invalid hardlink "hl" -> "missing": no such file in the layer' },
    { name: 'a layer hardlink to /etc/passwd', tar: () => layerWith([{ path: 'hl', type: 'link', linkname: '/etc/passwd' }]), message: 'invalid hardlink "hl" -> "/etc/passwd": no such file in the layer' },
    { name: 'a layer hardlink to a directory', tar: () => layerWith([dir('d'), { path: 'hl', type: 'link', linkname: 'd' }]), message: /invalid hardlink "hl" -> "d"/ },
    { name: 'a second image with a bad layer', tar: async () => rawTar([
      { name: 'good', data: layer },
      { name: 'bad', data: (await packLayer([{ path: 'x', type: 'link', linkname: 'nope' }])).tar },
      { name: 'c1', data: CONFIG([sha256(layer)]) },
      { name: 'c2', data: CONFIG([sha256((await packLayer([{ path: 'x', type: 'link', linkname: 'nope' }])).tar)]) },
      { name: 'manifest.json', data: jsonBytes([{ Config: 'c1', RepoTags: ['hostile:1', 'fresh:1'], Layers: ['good'] }, { Config: 'c2', RepoTags: ['other:1'], Layers: ['bad'] }]) },
    ]), message: /invalid hardlink "x" -> "nope"/ },
  ];

  it.each(cases)('load refuses $name whole with a 400, leaving the store as it was', async ({ tar, message }) => {
    const err = await loadImages(store, Readable.from([await tar()])).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'invalid-parameter', message: typeof message === 'string' ? message : expect.stringMatching(message) });
    expect(await store.snapshot()).toBe(before);
  });

  it('loads a docker save whose duplicate layers are symlinks inside the archive (Docker < 25)', async () => {
    const tar = archive(layer, {
      manifest: [{ Config: 'blobs/sha256/config', RepoTags: ['linked:1'], Layers: ['id2/layer.tar'] }],
      after: [{ name: 'id1/layer.tar', type: '2', linkname: '../blobs/sha256/layer' }, { name: 'id2', type: '2', linkname: '/id1' }],
    });
    const [loaded] = await loadImages(store, Readable.from([tar]));
    expect(loaded.tags).toEqual(['docker.io/library/linked:1']);
    expect((await store.readManifest(loaded.image.manifestDigest)).layers[0].digest).toBe(sha256(layer));
  });

  it('still loads what saveImages writes', async () => {
    const src = new SnapshotImageStore();
    const img = await makeImage(src, [[dir('etc'), file('etc/a', 'a'), { path: 'etc/b', type: 'link', linkname: 'etc/a' }, { path: 'l', type: 'symlink', linkname: '/etc/a' }]]);
    await src.setTag('docker.io/library/app:1', img.manifestDigest);
    const [loaded] = await loadImages(store, Readable.from([await bytes(await saveImages(new Images(src), ['app:1']))]));
    expect(loaded.image.configDigest).toBe(img.configDigest);
  });

  it.each([
    { name: 'a bad checksum', tar: () => { const b = Buffer.from(layer); fixChecksum(b, 0, 1); return b; }, message: 'archive/tar: invalid tar header' },
    { name: 'a truncated tar', tar: () => layer.subarray(0, 600), message: 'unexpected EOF' },
    { name: 'a hardlink to a missing file', tar: () => rawTar([{ name: 'hl', type: '1', linkname: 'nope' }]), message: 'invalid hardlink "hl" -> "nope": no such file in the layer' },
    { name: 'an unknown entry type', tar: () => rawTar([{ name: 'v', type: 'V' }]), message: 'unhandled tar header type unknown for "v"' },
    { name: 'a name with ..', tar: () => rawTar([{ name: 'a/../../x', data: Buffer.from('x') }]), message: 'tar entry "a/../../x" points outside the layer root' },
  ])('import refuses $name with a 400, leaving the store as it was', async ({ tar, message }) => {
    await expect(importRootfs(store, Readable.from([tar()]), { reference: 'imported:1' })).rejects.toMatchObject({ kind: 'invalid-parameter', message });
    expect(await store.snapshot()).toBe(before);
  });
});
