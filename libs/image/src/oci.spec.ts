import { chainIds, MediaType, parseManifest, parsePlatform, selectPlatform, sha256, type ImageIndex } from './oci';

describe('chainIds', () => {
  it('chains diff ids as the image spec defines', () => {
    const [a, b, c] = [sha256('a'), sha256('b'), sha256('c')];
    const ab = sha256(`${a} ${b}`);
    expect(chainIds([a, b, c])).toEqual([a, ab, sha256(`${ab} ${c}`)]);
    expect(chainIds([])).toEqual([]);
  });
});

describe('parseManifest', () => {
  const desc = { mediaType: MediaType.OciConfig, digest: sha256('c'), size: 1 };
  it('reads a Docker schema 2 manifest by its content type', () => {
    const p = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: desc, layers: [] })), MediaType.DockerManifest);
    expect(p).toMatchObject({ kind: 'manifest', mediaType: MediaType.DockerManifest });
  });
  it('reads an index without a mediaType by its shape', () => {
    expect(parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }))).kind).toBe('index');
  });
  it.each([
    { name: 'not JSON', body: 'nope', message: 'invalid manifest: not a JSON object' },
    { name: 'schema 1', body: JSON.stringify({ schemaVersion: 1 }), message: 'unsupported manifest schema version 1' },
    { name: 'bad descriptor', body: JSON.stringify({ schemaVersion: 2, config: {}, layers: [] }), message: 'invalid manifest: bad descriptor' },
    { name: 'unknown type', body: JSON.stringify({ schemaVersion: 2, mediaType: 'text/plain' }), message: 'unsupported manifest media type text/plain' },
  ])('rejects $name', ({ body, message }) => {
    expect(() => parseManifest(Buffer.from(body))).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});

describe('selectPlatform', () => {
  const m = (architecture: string, variant?: string) => ({
    mediaType: MediaType.OciManifest, digest: sha256(architecture + (variant ?? '')), size: 1,
    platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
  });
  const index: ImageIndex = { schemaVersion: 2, manifests: [m('amd64'), m('arm', 'v7'), m('arm64', 'v8')] };
  it.each([
    { want: 'linux/amd64', digest: sha256('amd64') },
    { want: 'linux/arm64', digest: sha256('arm64v8') },
    { want: 'linux/arm/v7', digest: sha256('armv7') },
    { want: 'linux/arm/v6', digest: undefined },
    { want: 'linux/s390x', digest: undefined },
  ])('picks $want', ({ want, digest }) => {
    expect(selectPlatform(index, parsePlatform(want))?.digest).toBe(digest);
  });
  it('rejects a malformed platform', () => {
    expect(() => parsePlatform('linux')).toThrow('invalid platform: linux');
  });
});
