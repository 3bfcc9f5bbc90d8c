import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { matchLabel, parseTimestamp } from '@app/common';
import type { FastifyReply } from 'fastify';
import { STREAM_BUFFER_LIMIT } from '../http/limits';
import { OPEN_STREAMS } from '../http/open-streams';
import { queryParam, type QueryParams } from '../http/query';
import { parseFilters } from '../networks/network-lookup';
import { EventsService, type EventMessage } from './events.service';

/** Docker's event filters: each key given must match (any of its values), label terms all. */
export function eventMatches(e: EventMessage, f: Record<string, string[]>): boolean {
  const any = (k: string, pred: (v: string) => boolean) => !f[k]?.length || f[k].some(pred);
  return (
    any('type', (v) => v === e.Type) &&
    any('event', (v) => v === e.Action) &&
    any('network', (v) => e.Type === 'network' && (v === e.Actor.ID || v === e.Actor.Attributes.name || e.Actor.ID.startsWith(v))) &&
    any('container', (v) => e.Type === 'container' && (v === e.Actor.ID || v === e.Actor.Attributes.name || e.Actor.ID.startsWith(v))) &&
    any('image', (v) => e.Type === 'image' && (v === e.Actor.ID || v === e.Actor.Attributes.name || v === e.Actor.Attributes.image)) &&
    any('volume', (v) => e.Type === 'volume' && v === e.Actor.ID) &&
    // dockerd: every label term must match the actor's attributes (containers carry their labels there)
    (f.label ?? []).every((v) => matchLabel(e.Actor.Attributes, v))
  );
}

@Controller('events')
export class EventsController {
  constructor(@Inject(EventsService) private readonly events: EventsService) {}

  @Get()
  stream(@Query() q: QueryParams, @Res() reply: FastifyReply): void {
    const [sinceText, untilText, filtersText] = [queryParam(q, 'since'), queryParam(q, 'until'), queryParam(q, 'filters')];
    const filters = parseFilters(filtersText, ['type', 'event', 'network', 'container', 'image', 'volume', 'label']);
    const now = BigInt(Date.now()) * 1_000_000n;
    const since = sinceText ? parseTimestamp(sinceText) : undefined;
    const until = untilText ? parseTimestamp(untilText) : undefined;
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    raw.flushHeaders();
    const write = (e: EventMessage) => {
      if (until !== undefined && BigInt(e.timeNano) > until) return;
      if (!eventMatches(e, filters) || raw.destroyed) return;
      raw.write(JSON.stringify(e) + '\n');
      // a client that does not read would keep every event in memory
      if (raw.writableLength > STREAM_BUFFER_LIMIT) raw.destroy();
    };
    let timer: NodeJS.Timeout | undefined;
    const close = () => {
      sub.unsubscribe();
      untrack();
      if (timer) clearTimeout(timer);
      if (!raw.writableEnded) raw.end();
    };
    const sub = this.events.subscribe(since, write);
    for (const e of sub.past) write(e);
    const untrack = OPEN_STREAMS.track(close);
    raw.on('close', close);
    if (until !== undefined) {
      const wait = Number((until > now ? until - now : 0n) / 1_000_000n);
      timer = setTimeout(close, Math.min(wait, 2 ** 31 - 1));
    }
  }
}
