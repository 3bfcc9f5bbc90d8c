import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ExecCreateDto, ExecStartDto, type ContainerSummary } from '@app/api/containers';
import { InvalidParameterError, parseTimestamp } from '@app/common';
import { parseSignal, type WaitCondition } from '@app/container';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ContainersService } from './containers.service';
import { OPEN_STREAMS } from '../http/open-streams';
import { parseBody } from '../http/parse-body';
import { queryFlag, queryParam, type QueryParams } from '../http/query';
import { MULTIPLEXED_STREAM, RAW_STREAM, attachQuery, pump, serveStream } from './streams';
import { ContainerViews } from './container-views.service';
import { parseConsoleSize } from './console-size';
import { requestedVersion } from '../http/api-version';
import { containerForVersion } from '../http/versioned-views';

type Q = QueryParams;

/** `signal` of kill, stop and restart, checked before anything else happens (Docker's order). */
function signalOf(q: Q): string | undefined {
  const text = queryParam(q, 'signal');
  return text ? parseSignal(text) : undefined;
}

function seconds(q: Q): number | undefined {
  const t = queryParam(q, 't') ?? queryParam(q, 'timeout');
  if (t === undefined || t === '') return undefined;
  if (!/^-?\d{1,6}$/.test(t)) throw new InvalidParameterError(`invalid value for t: ${t}`);
  return Number(t);
}

const WAIT_CONDITIONS = ['not-running', 'next-exit', 'removed'];

@Controller()
export class ContainersController {
  constructor(
    @Inject(ContainersService) private readonly svc: ContainersService,
    @Inject(ContainerViews) private readonly views: ContainerViews,
  ) {}

  @Post('containers/create')
  @HttpCode(201)
  create(@Query() q: Q, @Body() body: unknown) {
    return this.svc.create(queryParam(q, 'name') || undefined, body);
  }

  @Get('containers/json')
  list(@Query() q: Q): ContainerSummary[] {
    return this.views.list({ all: queryFlag(queryParam(q, 'all')), filters: queryParam(q, 'filters'), limit: queryParam(q, 'limit') });
  }

  @Get('containers/:id/json')
  async inspect(@Param('id') id: string, @Req() req: FastifyRequest) {
    return containerForVersion(await this.views.inspect(id), requestedVersion(req.raw));
  }

  @Post('containers/:id/start')
  async start(@Param('id') id: string, @Res() reply: FastifyReply) {
    const started = await this.svc.start(id);
    reply.status(started ? 204 : 304).send();
  }

  @Post('containers/:id/stop')
  async stop(@Param('id') id: string, @Query() q: Q, @Res() reply: FastifyReply) {
    const stopped = await this.svc.stop(id, { signal: signalOf(q), timeoutSec: seconds(q) });
    reply.status(stopped ? 204 : 304).send();
  }

  @Post('containers/:id/kill')
  @HttpCode(204)
  async kill(@Param('id') id: string, @Query() q: Q) {
    await this.svc.kill(id, signalOf(q));
  }

  @Post('containers/:id/restart')
  @HttpCode(204)
  async restart(@Param('id') id: string, @Query() q: Q) {
    await this.svc.restart(id, { signal: signalOf(q), timeoutSec: seconds(q) });
  }

  @Post('containers/:id/resize')
  @HttpCode(200)
  async resize(@Param('id') id: string, @Query() q: Q) {
    await this.svc.resize(id, ...parseConsoleSize(queryParam(q, 'h'), queryParam(q, 'w')));
  }

  @Post('containers/:id/wait')
  async wait(@Param('id') id: string, @Query() q: Q, @Res() reply: FastifyReply) {
    const condition = queryParam(q, 'condition') || 'not-running';
    if (!WAIT_CONDITIONS.includes(condition)) throw new InvalidParameterError(`invalid condition: "${condition}"`);
    const r = await this.svc.find(id);
    const gone = new AbortController();
    const result = this.svc.wait(r.id, condition as WaitCondition, gone.signal);
    // The client's ContainerWait returns once headers arrive and `docker run` starts the
    // container only then, so the header goes out now and the body at exit.
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Type': 'application/json' });
    reply.raw.flushHeaders();
    // shutdown does not wait for the container: the client sees the connection end
    const untrack = OPEN_STREAMS.track(() => reply.raw.destroy());
    reply.raw.on('close', () => {
      untrack();
      // a client gone before the answer: its wait stops listening
      if (!reply.raw.writableEnded) gone.abort(new Error('client gone'));
    });
    result.then(
      (res) => reply.raw.end(JSON.stringify({ StatusCode: res.statusCode, Error: null }) + '\n'),
      (e: Error) => reply.raw.end(JSON.stringify({ StatusCode: -1, Error: { Message: e.message } }) + '\n'),
    ).finally(untrack);
  }

  @Delete('containers/*')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Query() q: Q) {
    // the router decoded the path once already; a second decode would turn `%25` into `%`
    const ref = (req.params as Record<string, string>)['*'] ?? '';
    await this.svc.delete(ref, { force: queryFlag(queryParam(q, 'force')), link: queryFlag(queryParam(q, 'link')), volumes: queryFlag(queryParam(q, 'v')) });
  }

  @Get('containers/:id/logs')
  async logs(@Param('id') id: string, @Query() q: Q, @Res() reply: FastifyReply) {
    const stdout = queryFlag(queryParam(q, 'stdout'));
    const stderr = queryFlag(queryParam(q, 'stderr'));
    if (!stdout && !stderr) throw new InvalidParameterError('Bad parameters: you must choose at least one stream');
    const r = await this.svc.find(id);
    const tailText = queryParam(q, 'tail');
    const tail = tailText === undefined || tailText === 'all' || tailText === '' ? undefined : Number(tailText);
    if (tail !== undefined && !Number.isInteger(tail)) throw new InvalidParameterError(`invalid value for tail: ${tailText}`);
    const sinceText = queryParam(q, 'since');
    const untilText = queryParam(q, 'until');
    const since = sinceText && sinceText !== '0' ? new Date(Number(parseTimestamp(sinceText) / 1_000_000n)) : undefined;
    const until = untilText && untilText !== '0' ? new Date(Number(parseTimestamp(untilText) / 1_000_000n)) : undefined;
    const ctl = new AbortController();
    const entries = await this.svc.logs(r.id, { follow: queryFlag(queryParam(q, 'follow')), tail, since, until, signal: ctl.signal });
    const tty = r.spec.tty ?? false;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'Content-Type': tty ? RAW_STREAM : MULTIPLEXED_STREAM });
    raw.flushHeaders();
    raw.on('close', () => ctl.abort());
    const untrack = OPEN_STREAMS.track(() => {
      ctl.abort();
      raw.end();
    });
    const wanted = async function* () {
      for await (const e of entries) if ((e.stream === 'stdout' && stdout) || (e.stream === 'stderr' && stderr)) yield e;
    };
    await pump(wanted(), raw, tty, queryFlag(queryParam(q, 'timestamps'))).catch(() => undefined);
    untrack();
    raw.end();
  }

  @Post('containers/:id/attach')
  async attach(@Param('id') id: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const url = req.raw.url ?? '';
    const query = attachQuery(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
    await this.svc.find(id);
    reply.hijack();
    await serveStream(this.svc, { attach: id, query }, req.raw.socket, false);
  }

  @Post('containers/:id/exec')
  @HttpCode(201)
  execCreate(@Param('id') id: string, @Body() body: unknown) {
    return this.svc.execs.create(id, parseBody(ExecCreateDto, body ?? {}));
  }

  @Post('exec/:id/start')
  async execStart(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply) {
    const start = body === undefined ? {} : parseBody(ExecStartDto, body);
    this.svc.execs.get(id);
    if (start.Detach) {
      if (start.ConsoleSize) await this.svc.execs.resize(id, start.ConsoleSize[0], start.ConsoleSize[1]);
      await this.svc.execs.startDetached(id);
      reply.status(200).send();
      return;
    }
    reply.hijack();
    await serveStream(this.svc, { exec: id, start }, req.raw.socket, false);
  }

  @Post('exec/:id/resize')
  @HttpCode(200)
  async execResize(@Param('id') id: string, @Query() q: Q) {
    await this.svc.execs.resize(id, ...parseConsoleSize(queryParam(q, 'h'), queryParam(q, 'w')));
  }

  @Get('exec/:id/json')
  execInspect(@Param('id') id: string) {
    return this.svc.execs.inspect(id);
  }
}
