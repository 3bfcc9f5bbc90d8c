import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { TcpAddress } from '../config/netd-config';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** One GET route: path → status, content type and body (or a handler that writes the answer itself). */
export type ReadOnlyRoute =
  | (() => Promise<{ type: string; body: string | Buffer; headers?: Record<string, string> }>)
  | { stream: (req: IncomingMessage, res: ServerResponse) => void };

export interface ReadOnlyServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A plain HTTP server beside the API (metrics, the topology page) that answers GET and HEAD on
 * the paths it is given and nothing else: 405 for any other method, 404 for any other path. It
 * holds no route that changes state, whatever its caller passes, because only reads reach it.
 */
export async function openReadOnlyServer(
  what: string,
  addr: TcpAddress,
  routes: Record<string, ReadOnlyRoute>,
  log: Logger,
  opts: { loopbackHostOnly?: boolean } = {},
): Promise<ReadOnlyServer> {
  const sockets = new Set<Socket>();
  let port = addr.port;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // A web page elsewhere could rebind its own name to 127.0.0.1 and read this server as
    // same-origin; a browser then still sends that name as Host, so only loopback names pass.
    if (opts.loopbackHostOnly && !LOOPBACK_HOSTS.has((req.headers.host ?? '').replace(`:${port}`, '').toLowerCase())) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('misdirected request\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const route = Object.prototype.hasOwnProperty.call(routes, path) ? routes[path] : undefined;
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    if (typeof route !== 'function') return route.stream(req, res);
    route().then(
      ({ type, body, headers }) => {
        res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err) => {
        log.warn({ err, path }, `${what}: answering failed`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('internal error\n');
      },
    );
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: addr.host, port: addr.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as { address: string; port: number };
  port = bound.port;
  const address = `http://${addr.host.includes(':') ? `[${addr.host}]` : addr.host}:${bound.port}`;
  log.info({ address }, `${what} listening`);
  return {
    address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
