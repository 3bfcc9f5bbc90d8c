import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryImageStore } from '../store/memory-image-store';
import { packLayer } from '../layers/layer-writer';
import { jsonBytes, MediaType, sha256 } from '../oci';
import { pullImage } from './pull';
import { isIdempotent, RegistryClient } from './registry-client';

type Trouble = (req: IncomingMessage, res: ServerResponse) => boolean;

describe('RegistryClient retries (loopback registry)', () => {
  let server: Server;
  let registry: string;
  let seen: string[];
  let trouble: Trouble;
  let client: RegistryClient;
  let manifest: Buffer;
  let blobs: Map<string, Buffer>;

  beforeAll(async () => {
    const layer = await packLayer([{ path: 'a', type: 'file', data: Buffer.from('a') }]);
    const config = jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } });
    blobs = new Map([[sha256(config), config], [sha256(layer.gzip), layer.gzip]]);
    manifest = jsonBytes({
      schemaVersion: 2, mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256(layer.gzip), size: layer.gzip.length }],
    });
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      if (trouble(req, res)) return;
      if (req.url?.includes('/manifests/')) return res.writeHead(200, { 'content-type': MediaType.OciManifest, 'content-length': manifest.length }).end(manifest);
      const blob = blobs.get(req.url?.split('/').at(-1) ?? '');
      if (req.method === 'GET' && blob) return res.writeHead(200, { 'content-length': blob.length }).end(blob);
      if (req.method === 'PUT') return res.writeHead(201).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen = [];
    trouble = () => false;
    client = new RegistryClient({ retry: { baseDelayMs: 1 } });
  });
  afterEach(() => client.close());

  /** Misbehave once for requests `when` picks: first reset the connection, then answer 503. */
  const resetThen503 = (when: (req: IncomingMessage) => boolean): Trouble => {
    let n = 0;
    return (req, res) => {
      if (!when(req) || n >= 2) return false;
      if (n++ === 0) req.socket.destroy();
      else res.writeHead(503).end('{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}');
      return true;
    };
  };
  const send = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', path: string) => client.send({ registry, method, path, scopes: [] });

  it('pulls through a reset connection and a 503 on the manifest and on a blob', async () => {
    const onManifest = resetThen503((req) => !!req.url?.includes('/manifests/'));
    const onBlob = resetThen503((req) => !!req.url?.includes('/blobs/'));
    trouble = (req, res) => onManifest(req, res) || onBlob(req, res);
    await expect(pullImage(client, new MemoryImageStore(), `${registry}/retry/img:1`)).resolves.toMatchObject({ image: expect.anything() });
    expect(seen.filter((r) => r.includes('/manifests/'))).toHaveLength(3);
  });

  it('gives up after the bounded attempts and hands back the last 5xx', async () => {
    trouble = (_req, res) => (res.writeHead(502).end('bad gateway'), true);
    const res = await send('GET', '/v2/retry/img/manifests/1');
    expect(res.status).toBe(502);
    await res.body.dump();
    expect(seen).toHaveLength(4);
  });

  it('does not repeat a POST, after a reset or a 5xx', async () => {
    trouble = resetThen503((req) => req.method === 'POST');
    await expect(send('POST', '/v2/retry/img/blobs/uploads/')).rejects.toMatchObject({ kind: 'unavailable' });
    const res = await send('POST', '/v2/retry/img/blobs/uploads/');
    expect(res.status).toBe(503);
    await res.body.dump();
    expect(seen).toEqual(['POST /v2/retry/img/blobs/uploads/', 'POST /v2/retry/img/blobs/uploads/']);
  });

  it('does not repeat a 4xx', async () => {
    trouble = (_req, res) => (res.writeHead(404).end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}'), true);
    const res = await send('GET', '/v2/retry/img/manifests/1');
    expect(res.status).toBe(404);
    await res.body.dump();
    expect(seen).toHaveLength(1);
  });

  it('repeats the PUT that closes a blob upload by digest, but not a PATCH', async () => {
    const put = `/v2/retry/img/blobs/uploads/u1?digest=sha256%3A${'a'.repeat(64)}`;
    trouble = resetThen503((req) => req.method === 'PUT');
    expect((await send('PUT', put)).status).toBe(201);
    expect(seen.filter((r) => r.startsWith('PUT'))).toHaveLength(3);
    trouble = resetThen503((req) => req.method === 'PATCH');
    await expect(send('PATCH', '/v2/retry/img/blobs/uploads/u1')).rejects.toMatchObject({ kind: 'unavailable' });
    expect(seen.filter((r) => r.startsWith('PATCH'))).toHaveLength(1);
  });
});

describe(isIdempotent.name, () => {
  const u = (p: string) => new URL(p, 'http://r');
  it.each([
    ['GET', '/v2/x/manifests/1', true],
    ['HEAD', '/v2/x/blobs/sha256:a', true],
    ['PUT', '/v2/x/blobs/uploads/u?digest=sha256:a', true],
    ['PUT', '/v2/x/blobs/uploads/u', false],
    ['PUT', '/v2/x/manifests/1', false],
    ['POST', '/v2/x/blobs/uploads/', false],
    ['PATCH', '/v2/x/blobs/uploads/u', false],
  ] as const)('%s %s → %s', (method, path, want) => expect(isIdempotent(method, u(path))).toBe(want));
});
