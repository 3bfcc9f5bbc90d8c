import { Body, Controller, Get, Head, HttpCode, Inject, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { InvalidParameterError } from '@app/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ContainerArchive, PATH_STAT_HEADER, encodePathStat } from './archive';
import { OPEN_STREAMS } from '../http/open-streams';
import { ContainerOps } from './container-ops';
import { ContainerStats } from './stats';

type Q = Record<string, unknown>;

function one(q: Q, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new InvalidParameterError(`query parameter ${name} must be given once`);
}

/** moby's BoolValueOrDefault: empty takes the default; "", 0, no, false, none are false. */
function boolOr(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  return !['0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

@Controller()
export class ContainerOpsController {
  constructor(
    @Inject(ContainerOps) private readonly ops: ContainerOps,
    @Inject(ContainerStats) private readonly stats: ContainerStats,
    @Inject(ContainerArchive) private readonly archive: ContainerArchive,
  ) {}

  // HEAD before GET: Fastify would otherwise add its own HEAD for the GET route
  @Head('containers/:id/archive')
  async archiveStat(@Param('id') id: string, @Query() q: Q, @Res() reply: FastifyReply) {
    const stat = await this.archive.stat(id, one(q, 'path') ?? '');
    reply.header(PATH_STAT_HEADER, encodePathStat(stat)).status(200).send();
  }

  @Get('containers/:id/archive')
  async archiveGet(@Param('id') id: string, @Query() q: Q, @Res() reply: FastifyReply) {
    let started = false;
    try {
      await this.archive.get(id, one(q, 'path') ?? '', (stat) => {
        started = true;
        reply.hijack();
        reply.raw.writeHead(200, { 'Content-Type': 'application/x-tar', [PATH_STAT_HEADER]: encodePathStat(stat) });
        return reply.raw;
      });
    } catch (e) {
      if (!started) throw e;
      reply.raw.destroy();
    }
  }

  @Put('containers/:id/archive')
  @HttpCode(200)
  async archivePut(@Param('id') id: string, @Query() q: Q, @Req() req: FastifyRequest) {
    const body = req.body as Readable | undefined;
    if (!body || typeof (body as Readable).pipe !== 'function') throw new InvalidParameterError('the request body must be a tar archive (Content-Type: application/x-tar)');
    await this.archive.put(id, one(q, 'path') ?? '', body, { noOverwriteDirNonDir: boolOr(one(q, 'noOverwriteDirNonDir'), false) });
  }

  @Post('containers/prune')
  @HttpCode(200)
  prune(@Query() q: Q) {
    return this.ops.prune(one(q, 'filters'));
  }

  @Post('containers/:id/rename')
  @HttpCode(204)
  async rename(@Param('id') id: string, @Query() q: Q) {
    await this.ops.rename(id, one(q, 'name') ?? '');
  }

  @Post('containers/:id/pause')
  @HttpCode(204)
  async pause(@Param('id') id: string) {
    await this.ops.pause(id);
  }

  @Post('containers/:id/unpause')
  @HttpCode(204)
  async unpause(@Param('id') id: string) {
    await this.ops.unpause(id);
  }

  @Post('containers/:id/update')
  @HttpCode(200)
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.ops.update(id, body);
  }

  @Get('containers/:id/stats')
  async containerStats(@Param('id') id: string, @Query() q: Q, @Res() reply: FastifyReply) {
    const stream = boolOr(one(q, 'stream'), true);
    const oneShot = boolOr(one(q, 'one-shot'), false);
    if (stream && oneShot) throw new InvalidParameterError('cannot have stream=true and one-shot=true');
    if (!stream) return void reply.status(200).send(await this.stats.once(id, oneShot));
    await this.ops.find(id);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'Content-Type': 'application/json' });
    raw.flushHeaders();
    const ctl = new AbortController();
    raw.on('close', () => ctl.abort());
    const untrack = OPEN_STREAMS.track(() => ctl.abort());
    await this.stats.stream(id, ctl.signal, (s) => {
      if (raw.destroyed) return false;
      raw.write(JSON.stringify(s) + '\n');
      return true;
    }).catch(() => undefined);
    untrack();
    raw.end();
  }

  @Get('containers/:id/top')
  top(@Param('id') id: string, @Query() q: Q) {
    return this.ops.top(id, one(q, 'ps_args'));
  }
}
