import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { InvalidParameterError } from '@app/common';
import type { FastifyReply } from 'fastify';
import { parseFilters } from '../networks/network-lookup';
import { EventsService, type EventMessage } from './events.service';

/** Docker's `since`/`until`: Unix seconds with optional fraction, RFC 3339, or a duration ago. */
export function parseTime(text: string, now = Date.now()): bigint {
  if (/^\d{1,12}(\.\d{1,9})?$/.test(text)) {
    const [s, frac = ''] = text.split('.');
    return BigInt(s) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  }
  const d = /^(\d{1,9})(s|m|h)$/.exec(text);
  if (d) return BigInt(now - Number(d[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[d[2] as 's']) * 1_000_000n;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new InvalidParameterError(`invalid time value: ${text.slice(0, 64)}`);
  return BigInt(t) * 1_000_000n;
}

function matches(e: EventMessage, f: Record<string, string[]>): boolean {
  const any = (k: string, pred: (v: string) => boolean) => !f[k]?.length || f[k].some(pred);
  return (
    any('type', (v) => v === e.Type) &&
    any('event', (v) => v === e.Action) &&
    any('network', (v) => e.Type === 'network' && (v === e.Actor.ID || v === e.Actor.Attributes.name || e.Actor.ID.startsWith(v))) &&
    any('container', (v) => e.Type === 'container' && (v === e.Actor.ID || v === e.Actor.Attributes.name || e.Actor.ID.startsWith(v))) &&
    any('image', (v) => e.Type === 'image' && (v === e.Actor.ID || v === e.Actor.Attributes.name || v === e.Actor.Attributes.image))
  );
}

/** The live set of open event streams, so shutdown can end them (they never end by themselves). */
export const OPEN_STREAMS = new Set<() => void>();

@Controller('events')
export class EventsController {
  constructor(@Inject(EventsService) private readonly events: EventsService) {}

  @Get()
  stream(@Query() q: Record<string, unknown>, @Res() reply: FastifyReply): void {
    for (const k of ['since', 'until', 'filters']) {
      if (q[k] !== undefined && typeof q[k] !== 'string') throw new InvalidParameterError(`query parameter ${k} must be given once`);
    }
    const filters = parseFilters(q.filters as string | undefined, ['type', 'event', 'network', 'container', 'image']);
    const now = BigInt(Date.now()) * 1_000_000n;
    const since = q.since ? parseTime(q.since as string) : undefined;
    const until = q.until ? parseTime(q.until as string) : undefined;
    const raw = reply.raw;
    reply.hijack();
    raw.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    raw.flushHeaders();
    const write = (e: EventMessage) => {
      if (until !== undefined && BigInt(e.timeNano) > until) return;
      if (matches(e, filters)) raw.write(JSON.stringify(e) + '\n');
    };
    let timer: NodeJS.Timeout | undefined;
    const close = () => {
      sub.unsubscribe();
      OPEN_STREAMS.delete(close);
      if (timer) clearTimeout(timer);
      if (!raw.writableEnded) raw.end();
    };
    const sub = this.events.subscribe(since, write);
    for (const e of sub.past) write(e);
    OPEN_STREAMS.add(close);
    raw.on('close', close);
    if (until !== undefined) {
      const wait = Number((until > now ? until - now : 0n) / 1_000_000n);
      timer = setTimeout(close, Math.min(wait, 2 ** 31 - 1));
    }
  }
}
