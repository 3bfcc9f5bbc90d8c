import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { TcpAddress } from '../config/netd-config';
import { STREAM_BUFFER_LIMIT } from '../http/limits';
import { OPEN_STREAMS } from '../http/open-streams';
import { openReadOnlyServer, type ReadOnlyServer } from '../http/read-only-server';
import type { Services } from '../composition-root';
import { TOPOLOGY_CSS, TOPOLOGY_HTML, TOPOLOGY_JS } from './topology-page';
import { topologyOf } from './topology';

/** Scripts and data from this origin only; nothing may frame the page. */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * `--ui-addr`: the topology page and the two reads it makes (a snapshot, and the event stream
 * as server-sent events that tell it when to read again). Nothing here can change netd.
 */
export function serveTopologyPage(addr: TcpAddress, rt: Services, log: Logger): Promise<ReadOnlyServer> {
  const fixed = (type: string, body: string) => async () => ({ type, body, headers: PAGE_HEADERS });
  return openReadOnlyServer(
    'topology page',
    addr,
    {
      '/': fixed('text/html; charset=utf-8', TOPOLOGY_HTML),
      '/topology.js': fixed('text/javascript; charset=utf-8', TOPOLOGY_JS),
      '/topology.css': fixed('text/css; charset=utf-8', TOPOLOGY_CSS),
      '/api/topology': async () => ({ type: 'application/json', body: JSON.stringify(topologyOf(rt)), headers: PAGE_HEADERS }),
      '/api/events': { stream: (req, res) => streamEvents(rt, req, res) },
    },
    log,
    { loopbackHostOnly: true },
  );
}

/** Every event as an SSE message, until the client goes or netd stops. */
function streamEvents(rt: Services, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { ...PAGE_HEADERS, 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  if (req.method === 'HEAD') return void res.end();
  res.write(': netd events\n\n');
  const sub = rt.events.subscribe(undefined, (e) => {
    if (res.destroyed) return;
    res.write(`data: ${JSON.stringify({ Type: e.Type, Action: e.Action, id: e.Actor.ID })}\n\n`);
    // a page that stopped reading would keep every event in memory
    if (res.writableLength > STREAM_BUFFER_LIMIT) res.destroy();
  });
  const close = () => {
    sub.unsubscribe();
    untrack();
    if (!res.writableEnded) res.end();
  };
  const untrack = OPEN_STREAMS.track(close);
  res.on('close', close);
}
