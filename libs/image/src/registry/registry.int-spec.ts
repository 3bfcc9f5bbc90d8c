import { execFileSync } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxImage } from '../busybox';
import { jsonBytes, MediaType, sha256 } from '../oci';
import { FileImageStore } from '../store/file-image-store';
import { dir, file, makeImage } from '../testing/fixtures';
import { registryBlobPath, startRegistry, type TestRegistry } from '../testing/registry-process';
import { authEntry, credentialsFor, type DockerConfigFile } from './auth';
import type { ProgressEvent } from './progress';
import { pullImage } from './pull';
import { pushImage } from './push';
import { RegistryClient } from './registry-client';

const clients: RegistryClient[] = [];
const mkClient = (...args: ConstructorParameters<typeof RegistryClient>) => {
  const c = new RegistryClient(...args);
  clients.push(c);
  return c;
};
afterAll(async () => {
  for (const c of clients) await c.close();
});

const applets = () => execFileSync('/bin/busybox', ['--list-full'], { timeout: 5000 }).toString().split('\n').filter(Boolean);

describe('registry client against docker-registry 2.8', () => {
  let reg: TestRegistry;
  let work: string;
  let n = 0;
  const freshStore = () => new FileImageStore(join(work, `store-${n++}`));

  beforeAll(async () => {
    reg = await startRegistry();
    work = mkdtempSync(join(tmpdir(), 'netd-img-reg-'));
  });
  afterAll(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('pushes a busybox image, removes it, pulls it back with the same digest and runs it', async () => {
    const client = mkClient();
    const a = freshStore();
    const img = await busyboxImage(a, { binary: '/bin/busybox', applets: applets() });
    const ref = `${reg.host}/busybox:latest`;
    await a.setTag(`${reg.host}/busybox:latest`, img.manifestDigest);
    const events: ProgressEvent[] = [];
    const pushed = await pushImage(client, a, ref, { onProgress: (e) => events.push(e) });
    expect(pushed.digest).toBe(img.manifestDigest);
    expect(Object.values(pushed.blobs)).toEqual(['uploaded', 'uploaded']);
    expect(events.at(-1)?.status).toBe(`latest: digest: ${img.manifestDigest} size: ${pushed.size}`);
    expect(events.some((e) => e.status === 'Pushing' && e.progressDetail?.total)).toBe(true);
    expect(Object.values((await pushImage(client, a, ref)).blobs)).toEqual(['exists', 'exists']);

    await a.deleteImage(img.manifestDigest);
    expect((await a.gc()).blobs).toHaveLength(3);

    const b = freshStore();
    const pullEvents: ProgressEvent[] = [];
    const pulled = await pullImage(mkClient(), b, ref, { onProgress: (e) => pullEvents.push(e) });
    expect(pulled.image.manifestDigest).toBe(img.manifestDigest);
    expect(pulled.digest).toBe(img.manifestDigest);
    expect(await b.listTags()).toEqual([{ name: `${reg.host}/busybox:latest`, manifestDigest: img.manifestDigest }]);
    expect(pullEvents.map((e) => e.status)).toEqual(expect.arrayContaining(['Pulling fs layer', 'Download complete', 'Pull complete',
      `Digest: ${img.manifestDigest}`, `Status: Downloaded newer image for ${reg.host}/busybox:latest`]));
    const [lower] = await b.unpack(img.manifestDigest);
    expect(readlinkSync(join(lower, 'bin/sh'))).toBe('/bin/busybox');
    expect(execFileSync(join(lower, 'bin/busybox'), ['echo', 'hello from the image'], { timeout: 5000 }).toString()).toBe('hello from the image\n');

    const again: ProgressEvent[] = [];
    await pullImage(mkClient(), b, ref, { onProgress: (e) => again.push(e) });
    expect(again.map((e) => e.status)).toContain('Already exists');
    expect(again.at(-1)?.status).toBe(`Status: Image is up to date for ${reg.host}/busybox:latest`);
  });

  it('uploads in chunks and mounts blobs across repositories', async () => {
    const client = mkClient();
    const a = freshStore();
    const img = await makeImage(a, [[file('big', 'x'.repeat(300_000))], [file('small', 's')]]);
    await a.setTag(`${reg.host}/chunked/app:1`, img.manifestDigest);
    await a.setTag(`${reg.host}/other/app:1`, img.manifestDigest);
    const first = await pushImage(client, a, `${reg.host}/chunked/app:1`, { chunkSize: 64 * 1024 });
    expect(Object.values(first.blobs)).toEqual(['uploaded', 'uploaded', 'uploaded']);
    const second = await pushImage(client, a, `${reg.host}/other/app:1`);
    expect(Object.values(second.blobs)).toEqual(['mounted', 'mounted', 'mounted']);
    const b = freshStore();
    const pulled = await pullImage(mkClient(), b, `${reg.host}/other/app:1`);
    expect(pulled.image.manifestDigest).toBe(img.manifestDigest);
  });

  it('selects the requested platform from a manifest list', async () => {
    const client = mkClient();
    const a = freshStore();
    const amd = await makeImage(a, [[file('arch', 'amd64')]], { architecture: 'amd64' });
    const arm = await makeImage(a, [[file('arch', 'arm64')]], { architecture: 'arm64' });
    for (const img of [amd, arm]) await pushImage(client, a, `${reg.host}/multi@${img.manifestDigest}`);
    const platformOf = { [amd.manifestDigest]: 'amd64', [arm.manifestDigest]: 'arm64' };
    const index = jsonBytes({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: await Promise.all([amd, arm].map(async (i) => ({
        mediaType: MediaType.OciManifest, digest: i.manifestDigest, size: await a.statBlob(i.manifestDigest),
        platform: { os: 'linux', architecture: platformOf[i.manifestDigest] },
      }))),
    });
    const res = await client.send({
      registry: reg.host, method: 'PUT', path: '/v2/multi/manifests/latest', scopes: [],
      headers: { 'content-type': MediaType.OciIndex }, body: () => index,
    });
    await res.body.dump();
    expect(res.status).toBe(201);

    const armStore = freshStore();
    const p1 = await pullImage(client, armStore, `${reg.host}/multi`, { platform: 'linux/arm64' });
    expect(p1.image.manifestDigest).toBe(arm.manifestDigest);
    expect(p1.digest).toBe(sha256(index));
    expect((await armStore.readConfig(p1.image.configDigest)).architecture).toBe('arm64');
    const p2 = await pullImage(client, freshStore(), `${reg.host}/multi`);
    expect(p2.image.manifestDigest).toBe(amd.manifestDigest);
    await expect(pullImage(client, freshStore(), `${reg.host}/multi`, { platform: 'linux/s390x' }))
      .rejects.toMatchObject({ kind: 'not-found', message: 'no matching manifest for linux/s390x in the manifest list entries' });
  });

  it('rejects a blob corrupted in the registry and leaves nothing in the store', async () => {
    const client = mkClient();
    const a = freshStore();
    const img = await makeImage(a, [[dir('etc'), file('etc/os-release', 'good')], [file('data', 'd'.repeat(5000))]]);
    await a.setTag(`${reg.host}/corrupt:1`, img.manifestDigest);
    await pushImage(client, a, `${reg.host}/corrupt:1`);
    const layer = (await a.readManifest(img.manifestDigest)).layers[1].digest;
    const path = registryBlobPath(reg, layer);
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(path, bytes);

    const b = freshStore();
    await expect(pullImage(mkClient(), b, `${reg.host}/corrupt:1`)).rejects.toMatchObject({
      kind: 'invalid-parameter',
      message: expect.stringContaining(`filesystem layer verification failed for digest ${layer}`),
    });
    expect(await b.listImages()).toEqual([]);
    expect(await b.listTags()).toEqual([]);
    expect(readdirSync(join(b.root, 'blobs', 'sha256'))).toEqual([]);
    expect(readdirSync(join(b.root, 'ingest'))).toEqual([]);
    expect(readdirSync(join(b.root, 'layers'))).toEqual([]);
  });

  it('rejects a blob corrupted in transit (a proxy flips a byte) and leaves nothing in the store', async () => {
    const a = freshStore();
    const img = await makeImage(a, [[dir('etc'), file('etc/os-release', 'transit')], [file('payload', 'p'.repeat(8000))]]);
    await a.setTag(`${reg.host}/transit:1`, img.manifestDigest);
    await pushImage(mkClient(), a, `${reg.host}/transit:1`);
    const layer = (await a.readManifest(img.manifestDigest)).layers[1].digest;
    const [regHost, regPort] = reg.host.split(':');
    // A plain HTTP proxy on loopback that passes everything through but flips one byte of the
    // layer blob's body on its way to the client.
    const proxy: Server = createServer((req, res) => {
      const up = request({ host: regHost, port: Number(regPort), path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        const flip = req.method === 'GET' && (req.url ?? '').endsWith(`/blobs/${layer}`);
        let flipped = false;
        r.on('data', (chunk: Buffer) => {
          if (flip && !flipped) {
            chunk = Buffer.from(chunk);
            chunk[chunk.length >> 1] ^= 0xff;
            flipped = true;
          }
          res.write(chunk);
        });
        r.on('end', () => res.end());
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const via = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const b = freshStore();
      await expect(pullImage(mkClient(), b, `${via}/transit:1`)).rejects.toMatchObject({
        kind: 'invalid-parameter',
        message: expect.stringContaining(`filesystem layer verification failed for digest ${layer}`),
      });
      expect(await b.listImages()).toEqual([]);
      expect(readdirSync(join(b.root, 'blobs', 'sha256'))).toEqual([]);
      expect(readdirSync(join(b.root, 'ingest'))).toEqual([]);
      expect(readdirSync(join(b.root, 'layers'))).toEqual([]);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
  });

  it('answers a missing tag with a Docker-like not found', async () => {
    await expect(pullImage(mkClient(), freshStore(), `${reg.host}/corrupt:nope`)).rejects.toMatchObject({
      kind: 'not-found',
      message: `manifest for ${reg.host}/corrupt:nope not found: manifest unknown: manifest unknown`,
    });
  });

  it('keeps whiteouts of a pulled image as overlay whiteouts', async () => {
    const a = freshStore();
    const img = await makeImage(a, [[dir('etc'), file('etc/passwd', 'x')], [dir('etc'), file('etc/.wh.passwd', '')]]);
    await a.setTag(`${reg.host}/wh:1`, img.manifestDigest);
    await pushImage(mkClient(), a, `${reg.host}/wh:1`);
    const b = freshStore();
    await pullImage(mkClient(), b, `${reg.host}/wh:1`);
    const [, top] = await b.unpack(img.manifestDigest);
    expect(lstatSync(join(top, 'etc/passwd')).isCharacterDevice()).toBe(true);
  });
});

describe('registry client with htpasswd basic auth', () => {
  let reg: TestRegistry;
  let work: string;
  beforeAll(async () => {
    reg = await startRegistry({ user: 'netd', password: 's3cret' });
    work = mkdtempSync(join(tmpdir(), 'netd-img-auth-'));
  });
  afterAll(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('is refused without credentials and works with those of config.json', async () => {
    const a = new FileImageStore(join(work, 'a'));
    const img = await makeImage(a, [[file('secret', 'x')]]);
    await a.setTag(`${reg.host}/private:1`, img.manifestDigest);
    await expect(pushImage(mkClient(), a, `${reg.host}/private:1`)).rejects.toMatchObject({ kind: 'forbidden' });

    const config: DockerConfigFile = JSON.parse(JSON.stringify({ auths: { [reg.host]: authEntry({ username: 'netd', password: 's3cret' }) } }));
    const client = mkClient({ credentials: (r) => credentialsFor(config, r) });
    await pushImage(client, a, `${reg.host}/private:1`);
    const b = new FileImageStore(join(work, 'b'));
    expect((await pullImage(client, b, `${reg.host}/private:1`)).image.manifestDigest).toBe(img.manifestDigest);
    const wrong = mkClient({ credentials: () => ({ username: 'netd', password: 'nope' }) });
    await expect(pullImage(wrong, new FileImageStore(join(work, 'c')), `${reg.host}/private:1`)).rejects.toMatchObject({ kind: 'forbidden' });
  });
});
