import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Images, MemoryImageStore } from '@app/image';
import { file, makeImage } from '@app/image/testing/fixtures';
import { rawTar } from '@app/image/testing/hostile-tar';
import { ErrorFilter } from '../http/error.filter';
import { ImagesModule } from './images.module';
import { ImagesService } from './images.service';
import { tarOf } from '../testing/tar';

describe('images API', () => {
  let app: NestFastifyApplication;
  let store: MemoryImageStore;
  let service: ImagesService;
  let tmp: string;
  const events: string[] = [];

  beforeEach(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'netd-images-api-'));
    store = new MemoryImageStore();
    service = new ImagesService({ images: new Images(store), onEvent: (a) => events.push(a), tmpDir: tmp });
    app = await NestFactory.create<NestFastifyApplication>(ImagesModule.register(service), new FastifyAdapter(), { logger: false });
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    // What the daemon must add for tar uploads: pass the body through as a stream.
    fastify.addContentTypeParser('application/x-tar', (_req, payload, done) => done(null, payload));
    app.useGlobalFilters(new ErrorFilter(pino({ level: 'silent' })));
    await app.init();
    await fastify.ready();
  });
  afterEach(async () => {
    await app.close();
    await service.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const inject = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Buffer) =>
    app.inject({ method, url, payload, headers: payload ? { 'content-type': 'application/x-tar' } : {} });

  it('lists, tags (names with slashes), inspects and removes images', async () => {
    const img = await makeImage(store, [[file('a', '1')]]);
    expect((await inject('POST', `/images/${img.configDigest.slice(7, 19)}/tag?repo=127.0.0.1:5000/team/app&tag=v1`)).statusCode).toBe(201);
    const list = (await inject('GET', '/images/json')).json();
    expect(list).toEqual([expect.objectContaining({ Id: img.configDigest, RepoTags: ['127.0.0.1:5000/team/app:v1'] })]);
    const inspect = await inject('GET', '/images/127.0.0.1:5000/team/app:v1/json');
    expect(inspect.statusCode).toBe(200);
    expect(inspect.json()).toMatchObject({ Id: img.configDigest, Os: 'linux', RootFS: { Type: 'layers' } });
    // docker-compose 1.29 reads ContainerConfig.Volumes when it recreates a service
    expect(inspect.json()).toMatchObject({ Container: '', ContainerConfig: inspect.json().Config });
    const del = await inject('DELETE', '/images/127.0.0.1:5000/team/app:v1');
    expect(del.json()).toEqual([{ Untagged: '127.0.0.1:5000/team/app:v1' }, { Deleted: img.configDigest }]);
    expect(events).toEqual(expect.arrayContaining(['tag', 'untag', 'delete']));
  });

  it('lists SharedSize only when shared-size is asked, as dockerd (-1 otherwise); all lists the same images', async () => {
    const base = await makeImage(store, [[file('a', '1')]]);
    const child = await makeImage(store, [[file('a', '1')], [file('b', '22')]]);
    const plain = (await inject('GET', '/images/json')).json() as { Id: string; SharedSize: number; Size: number }[];
    expect(plain.map((i) => i.SharedSize)).toEqual([-1, -1]);
    expect((await inject('GET', '/images/json?all=1')).json()).toEqual(plain);
    const sized = (await inject('GET', '/images/json?shared-size=1')).json() as { Id: string; SharedSize: number; Size: number }[];
    const baseSize = sized.find((i) => i.Id === base.configDigest)!.Size;
    expect(sized.find((i) => i.Id === base.configDigest)!.SharedSize).toBe(baseSize);
    expect(sized.find((i) => i.Id === child.configDigest)!.SharedSize).toBe(baseSize);
  });

  it.each([
    { name: 'an unknown image', method: 'GET' as const, url: '/images/nothing/json', status: 404, message: 'No such image: nothing' },
    { name: 'a malformed reference on pull', method: 'POST' as const, url: '/images/create?fromImage=Bad%20Name', status: 400, message: 'invalid reference format' },
    { name: 'tagging an unknown image', method: 'POST' as const, url: '/images/x/tag?repo=UPPER', status: 404, message: 'No such image: x' },
    // the router decodes the path once; a second decode of "%" threw URIError (500)
    { name: 'a name with an escaped percent', method: 'GET' as const, url: '/images/a%2525b/json', status: 404, message: 'No such image: a%25b' },
    { name: 'a lone escaped percent', method: 'DELETE' as const, url: '/images/%25', status: 404, message: 'No such image: %' },
    { name: 'a lone escaped percent, tagged', method: 'POST' as const, url: '/images/%25/tag?repo=x', status: 404, message: 'No such image: %' },
  ])('answers $name with $status', async ({ method, url, status, message }) => {
    const res = await inject(method, url);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ message });
  });

  it('builds from a tar context and streams the output', async () => {
    const ctx = await tarOf({ Dockerfile: 'FROM scratch\nCOPY hello /hello\nCMD ["/hello"]\n', hello: 'hi' });
    const res = await inject('POST', '/build?t=hello:1', ctx);
    expect(res.statusCode).toBe(200);
    const lines = res.body.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ stream: 'Step 1/3 : FROM scratch\n' });
    expect(lines).toContainEqual({ stream: 'Successfully tagged hello:1\n' });
    expect((await inject('GET', '/images/hello:1/json')).json().Config.Cmd).toEqual(['/hello']);
  });

  it('reports a bad Dockerfile in the build stream and creates nothing', async () => {
    const ctx = await tarOf({ Dockerfile: 'FROM scratch\nNOPE x\n' });
    const res = await inject('POST', '/build?t=bad:1', ctx);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ message: 'dockerfile parse error on line 2: unknown instruction: NOPE' });
    expect(await store.listImages()).toEqual([]);
  });

  it.each([
    { name: 'a build context whose file claims 8 GiB and ends after 100 bytes', url: '/build?t=x:1', message: 'unexpected EOF' },
    { name: 'a truncated docker-archive', url: '/images/load', message: 'unexpected EOF' },
    { name: 'a truncated rootfs to import', url: '/images/create?fromSrc=-&repo=x', message: 'unexpected EOF' },
  ])('answers $name with a 400 at once, leaving no temp dir and no image', async ({ url, message }) => {
    const tar = rawTar([{ name: 'Dockerfile', size: 8 * 1024 ** 3, data: Buffer.alloc(100, 65) }], false);
    const res = await inject('POST', url, tar);
    expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 400, body: { message } });
    expect(readdirSync(tmp)).toEqual([]);
    expect(await store.listImages()).toEqual([]);
  });

  it('removes build dirs left by a previous run when it starts, and in-flight ones when it closes', async () => {
    mkdirSync(join(tmp, 'netd-build-left'), { recursive: true });
    mkdirSync(join(tmp, 'unrelated'));
    const other = new ImagesService({ images: new Images(store), tmpDir: tmp });
    expect(readdirSync(tmp)).toEqual(['unrelated']);
    let release: (() => void) | undefined;
    const stalled = (async function* () {
      yield rawTar([{ name: 'Dockerfile', size: 1000, data: Buffer.alloc(10) }], false).subarray(0, 522);
      await new Promise<void>((r) => (release = r));
    })();
    const building = other.build(stalled, { tags: [] }, () => undefined).catch((e: unknown) => e);
    for (let i = 0; i < 100 && readdirSync(tmp).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const dir = readdirSync(tmp).find((n) => n.startsWith('netd-build-'));
    expect(dir).toBeDefined();
    await other.close();
    expect(existsSync(join(tmp, dir!))).toBe(false);
    release?.();
    expect(await building).toMatchObject({ kind: 'unavailable', message: 'the daemon is shutting down' });
  });

  it('saves and loads images through docker-archive tars', async () => {
    const img = await makeImage(store, [[file('a', '1')]]);
    await service.tag(img.configDigest, 'saved', '1');
    const saved = await inject('GET', '/images/saved:1/get');
    expect(saved.headers['content-type']).toBe('application/x-tar');
    await inject('DELETE', '/images/saved:1');
    const loaded = await inject('POST', '/images/load', saved.rawPayload);
    expect(loaded.body.trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ stream: 'Loaded image: saved:1\n' }]);
    expect((await inject('GET', '/images/saved:1/json')).json().Id).toBe(img.configDigest);
  });
});
