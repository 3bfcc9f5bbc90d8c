import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { packLayer } from '../layers/layer-writer';
import { jsonBytes, MediaType, sha256 } from '../oci';
import { within } from '../testing/fuzz';
import { SnapshotImageStore } from '../testing/store-snapshot';
import { pullImage } from './pull';
import { RegistryClient } from './registry-client';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Write `chunk` until the client goes away: what an unbounded reader would wait on for ever. */
function endless(res: ServerResponse, chunk: Buffer): void {
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.destroy());
  pump();
}

describe('pullImage from a hostile registry (loopback)', () => {
  let server: Server;
  let registry: string;
  let handler: Handler;
  let client: RegistryClient;
  let store: SnapshotImageStore;
  let before: string;
  let layer: Buffer;
  let config: Buffer;

  beforeAll(async () => {
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    registry = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    layer = (await packLayer([{ path: 'a', type: 'file', data: Buffer.from('a') }])).gzip;
    config = jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [(await packLayer([{ path: 'a', type: 'file', data: Buffer.from('a') }])).diffId] } });
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(async () => {
    client = new RegistryClient();
    store = new SnapshotImageStore();
    before = await store.snapshot();
  });
  afterEach(() => client.close());

  const manifestOf = (o: { config?: object; layers?: object[] } = {}) => jsonBytes({
    schemaVersion: 2, mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha256(config), size: config.length, ...o.config },
    layers: o.layers ?? [{ mediaType: MediaType.OciLayerGzip, digest: sha256(layer), size: layer.length }],
  });
  /** A registry serving `manifest` for any tag and the real blobs, unless `override` answers first. */
  const serve = (manifest: Buffer, override?: (req: IncomingMessage, res: ServerResponse) => boolean) => {
    handler = (req, res) => {
      if (override?.(req, res)) return;
      if (req.url?.includes('/manifests/')) {
        res.writeHead(200, { 'content-type': MediaType.OciManifest, 'content-length': manifest.length });
        return res.end(manifest);
      }
      const blob = req.url?.endsWith(sha256(config)) ? config : req.url?.endsWith(sha256(layer)) ? layer : undefined;
      if (!blob) return res.writeHead(404).end();
      res.writeHead(200, { 'content-length': blob.length }).end(blob);
    };
  };
  const pull = (ref = `${registry}/hostile/img:1`) => within(10_000, () => pullImage(client, store, ref));

  it('pulls from the honest registry', async () => {
    serve(manifestOf());
    await expect(pull()).resolves.toMatchObject({ image: expect.anything() });
  });

  it.each([
    {
      name: 'an endless manifest',
      override: (req: IncomingMessage, res: ServerResponse) => {
        if (!req.url?.includes('/manifests/')) return false;
        res.writeHead(200, { 'content-type': MediaType.OciManifest });
        endless(res, Buffer.alloc(64 * 1024, 0x20));
        return true;
      },
      message: /manifest .*larger than 4194304 bytes/,
    },
    {
      name: 'an endless error body',
      override: (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(404, { 'content-type': 'application/json' });
        endless(res, Buffer.alloc(64 * 1024, 0x41));
        return true;
      },
      message: /^manifest for .* not found: /,
    },
    { name: 'a config that declares 1 GiB', manifest: () => manifestOf({ config: { size: 1024 ** 3 } }), message: /image config .*larger than/ },
    { name: 'a layer digest that is not a digest', manifest: () => manifestOf({ layers: [{ mediaType: MediaType.OciLayerGzip, digest: 'sha256:../../../../etc/passwd', size: 3 }] }), message: 'invalid manifest: bad descriptor' },
    { name: 'a negative size', manifest: () => manifestOf({ layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256(layer), size: -1 }] }), message: 'invalid manifest: bad descriptor' },
    {
      name: 'a layer that does not match its digest',
      override: (req: IncomingMessage, res: ServerResponse) => {
        if (!req.url?.endsWith(sha256(layer))) return false;
        const other = Buffer.from(layer);
        other[other.length - 1] ^= 1;
        res.writeHead(200, { 'content-length': other.length }).end(other);
        return true;
      },
      message: /^filesystem layer verification failed for digest/,
    },
    {
      name: 'a layer longer than declared',
      override: (req: IncomingMessage, res: ServerResponse) => {
        if (!req.url?.endsWith(sha256(layer))) return false;
        res.writeHead(200);
        endless(res, layer);
        return true;
      },
      message: /^filesystem layer verification failed .*size mismatch/,
    },
    {
      name: 'a config that is not JSON of the right shape',
      override: (req: IncomingMessage, res: ServerResponse) => {
        if (!req.url?.includes('/manifests/')) return false;
        const bad = jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: 'x' } });
        handler = (rq, rs) => (rq.url?.endsWith(sha256(bad)) ? rs.writeHead(200).end(bad) : rs.writeHead(404).end());
        const m = manifestOf({ config: { digest: sha256(bad), size: bad.length } });
        res.writeHead(200, { 'content-type': MediaType.OciManifest }).end(m);
        return true;
      },
      message: 'invalid image config: no rootfs.diff_ids',
    },
  ])('refuses $name and leaves the store as it was', async ({ override, manifest, message }) => {
    serve(manifest?.() ?? manifestOf(), override);
    const err = await pull().catch((e: unknown) => e);
    expect(err).toMatchObject({ message: typeof message === 'string' ? message : expect.stringMatching(message) });
    expect((err as { kind?: string }).kind).toBeDefined();
    expect(await store.snapshot()).toBe(before);
  });

  it('refuses a manifest whose bytes do not match the digest pulled by', async () => {
    serve(manifestOf());
    const wrong = sha256('something else');
    await expect(pull(`${registry}/hostile/img@${wrong}`)).rejects.toMatchObject({ kind: 'invalid-parameter', message: expect.stringContaining('manifest verification failed') });
    expect(await store.snapshot()).toBe(before);
  });
});
