import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { InvalidParameterError, NotFoundError } from '@app/common';
import { filterImages, parseImageFilters, type ImageDetails, type ImageSummary, type ProgressEvent } from '@app/image';
import { OPEN_STREAMS } from '../http/open-streams';
import { queryFlag, queryParam, type QueryParams } from '../http/query';
import { ImagesService } from './images.service';


export function toDockerSummary(s: ImageSummary) {
  return {
    Id: s.id, ParentId: '', RepoTags: s.repoTags, RepoDigests: s.repoDigests,
    Created: s.created ? Math.floor(Date.parse(s.created) / 1000) : 0, Size: s.size, SharedSize: -1, Labels: s.labels, Containers: -1,
  };
}

export function toDockerInspect(d: ImageDetails) {
  return {
    Id: d.id, RepoTags: d.repoTags, RepoDigests: d.repoDigests, Parent: '', Comment: d.config.history?.at(-1)?.comment ?? '',
    Created: d.created ?? '', DockerVersion: '', Author: d.config.author ?? '', Config: d.config.config ?? {},
    // dockerd dropped Container and ContainerConfig at API 1.45, and docker-compose 1.29 (still
    // Debian 12's) then fails every recreate of a service with volumes on KeyError 'ContainerConfig'
    // (it reads ContainerConfig.Volumes). netd keeps both at every version: newer clients ignore them.
    Container: '', ContainerConfig: d.config.config ?? {},
    Architecture: d.config.architecture, Os: d.config.os, ...(d.config.variant ? { Variant: d.config.variant } : {}), Size: d.size,
    RootFS: { Type: 'layers', Layers: d.config.rootfs.diff_ids }, Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}

/**
 * Streams JSON messages; the 200 header goes out with the first message, so an error before it
 * (unknown image, bad reference) still gets its proper status through the error filter.
 */
function jsonStream(reply: FastifyReply) {
  let started = false;
  const write = (msg: object) => {
    if (!started) {
      started = true;
      reply.hijack();
      reply.raw.writeHead(200, { 'Content-Type': 'application/json' });
    }
    reply.raw.write(`${JSON.stringify(msg)}\n`);
  };
  return {
    write,
    async run(fn: () => Promise<void>) {
      try {
        await fn();
      } catch (e) {
        if (!started) throw e;
        const message = e instanceof Error ? e.message : String(e);
        write({ errorDetail: { message }, error: message });
      }
      if (started) reply.raw.end();
    },
  };
}

/**
 * Run a handler that reads a tar upload. A shutdown waits for requests it has received, but not
 * for an upload still arriving (a stalled client would hold the daemon for ever): at shutdown the
 * connection of an incomplete upload is cut, the handler fails, and what it unpacked is removed.
 */
async function withUpload<T>(req: FastifyRequest, fn: () => Promise<T>): Promise<T> {
  const untrack = OPEN_STREAMS.track(() => {
    if (!req.raw.complete) req.raw.destroy();
  });
  try {
    return await fn();
  } finally {
    untrack();
  }
}

/** The body of a tar upload: a stream when a tar content-type parser passed it through, else the raw request. */
function tarBody(body: unknown, req: FastifyRequest): AsyncIterable<Uint8Array> {
  if (body instanceof Readable || (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function')) {
    return body as AsyncIterable<Uint8Array>;
  }
  if (Buffer.isBuffer(body)) return Readable.from([body]);
  return req.raw;
}

/**
 * Image names contain '/', so the routes that take one are wildcards split on the verb at the end.
 * The router has decoded the path once already: decoding again read `%25` as `%`.
 */
function splitName(req: FastifyRequest, verbs: readonly string[]): { name: string; verb: string } {
  const path = (req.params as Record<string, string>)['*'] ?? '';
  for (const verb of verbs) {
    if (path.endsWith(`/${verb}`)) return { name: path.slice(0, -verb.length - 1), verb };
  }
  if (verbs.includes('')) return { name: path, verb: '' };
  throw new NotFoundError('page not found');
}

@Controller()
export class ImagesController {
  constructor(@Inject(ImagesService) private readonly images: ImagesService) {}

  /**
   * `all` (intermediate images too) lists the same: netd keeps no parent chain, so every image is
   * top-level. `digests` is what dockerd does too: RepoDigests are always there. `shared-size`
   * computes SharedSize (the bytes of layers another image also uses), otherwise -1 as dockerd's.
   */
  @Get('images/json')
  async list(@Query() q: QueryParams) {
    const filters = parseImageFilters(queryParam(q, 'filters'));
    const listed = filterImages(await this.images.list(), filters).map(toDockerSummary);
    if (!queryFlag(queryParam(q, 'shared-size'))) return listed;
    const { shared } = await this.images.images.diskUsage();
    return listed.map((i) => ({ ...i, SharedSize: shared.get(i.Id) ?? 0 }));
  }

  @Post('images/prune')
  @HttpCode(200)
  prune(@Query() q: QueryParams) {
    return this.images.prune(queryParam(q, 'filters'));
  }

  @Get('images/get')
  async saveMany(@Query() q: QueryParams, @Res() reply: FastifyReply) {
    const names = ([] as unknown[]).concat(q.names ?? []).map(String);
    if (names.length === 0) throw new InvalidParameterError('no image names given');
    await this.sendTar(reply, names);
  }

  @Get('images/*')
  async getByName(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { name, verb } = splitName(req, ['json', 'get', 'history']);
    if (verb === 'json') return toDockerInspect(await this.images.inspect(name));
    if (verb === 'history') return this.images.history(name);
    await this.sendTar(reply, [name]);
  }

  private async sendTar(reply: FastifyReply, names: string[]) {
    const tar = await this.images.save(names);
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Type': 'application/x-tar' });
    tar.on('error', () => reply.raw.destroy());
    tar.pipe(reply.raw);
  }

  @Delete('images/*')
  async remove(@Req() req: FastifyRequest, @Query() q: QueryParams) {
    const { name } = splitName(req, ['']);
    const report = await this.images.remove(name, queryFlag(queryParam(q, 'force')));
    return report.map((r) => ('untagged' in r ? { Untagged: r.untagged } : { Deleted: r.deleted }));
  }

  @Post('images/create')
  async create(@Query() q: QueryParams, @Req() req: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply) {
    const out = jsonStream(reply);
    const fromSrc = queryParam(q, 'fromSrc');
    const fromImage = queryParam(q, 'fromImage');
    await out.run(async () => {
      if (fromSrc !== undefined) {
        if (fromSrc !== '-') throw new InvalidParameterError('fromSrc: only "-" (the request body) is supported');
        const repo = queryParam(q, 'repo');
        const tag = queryParam(q, 'tag');
        const img = await withUpload(req, () => this.images.import(tarBody(body, req), repo ? (tag ? `${repo}:${tag}` : repo) : undefined, queryParam(q, 'message')));
        out.write({ status: img.configDigest });
        return;
      }
      if (!fromImage) throw new InvalidParameterError('fromImage or fromSrc is required');
      const auth = req.headers['x-registry-auth'];
      await this.images.pull(fromImage, queryParam(q, 'tag'), queryParam(q, 'platform') || undefined, Array.isArray(auth) ? auth[0] : auth, (e: ProgressEvent) => out.write(e));
    });
  }

  @Post('images/load')
  async load(@Req() req: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply) {
    const out = jsonStream(reply);
    await out.run(async () => {
      const loaded = await withUpload(req, () => this.images.load(tarBody(body, req)));
      for (const l of loaded) {
        for (const t of l.tags) out.write({ stream: `Loaded image: ${t.replace(/^docker\.io\/(library\/)?/, '')}\n` });
        if (l.tags.length === 0) out.write({ stream: `Loaded image ID: ${l.image.configDigest}\n` });
      }
    });
  }

  @Post('images/*')
  @HttpCode(201)
  async postByName(@Req() req: FastifyRequest, @Query() q: QueryParams, @Res({ passthrough: true }) reply: FastifyReply) {
    const { name, verb } = splitName(req, ['tag', 'push']);
    if (verb === 'tag') {
      const repo = queryParam(q, 'repo');
      if (!repo) throw new InvalidParameterError('repo is required');
      await this.images.tag(name, repo, queryParam(q, 'tag'));
      return;
    }
    const out = jsonStream(reply);
    const auth = req.headers['x-registry-auth'];
    await out.run(async () => {
      await this.images.push(name, queryParam(q, 'tag'), Array.isArray(auth) ? auth[0] : auth, (e) => out.write(e));
    });
  }

  @Post('build')
  async build(@Query() q: QueryParams, @Req() req: FastifyRequest, @Body() body: unknown, @Res() reply: FastifyReply) {
    const tags = ([] as unknown[]).concat(q.t ?? []).map(String);
    let buildArgs: Record<string, string> | undefined;
    const rawArgs = queryParam(q, 'buildargs');
    if (rawArgs) {
      try {
        buildArgs = JSON.parse(rawArgs) as Record<string, string>;
      } catch {
        throw new InvalidParameterError('buildargs must be a JSON object');
      }
    }
    const out = jsonStream(reply);
    await out.run(async () => {
      const res = await withUpload(req, () => this.images.build(tarBody(body, req), {
        tags, dockerfile: queryParam(q, 'dockerfile'), buildArgs, noCache: queryFlag(queryParam(q, 'nocache')), network: queryParam(q, 'networkmode'),
      }, (line) => out.write({ stream: line })));
      out.write({ aux: { ID: res.image.configDigest } });
      for (const t of res.tags) out.write({ stream: `Successfully tagged ${t.replace(/^docker\.io\/(library\/)?/, '')}\n` });
    });
  }
}
