import { chmodSync, lstatSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { Server, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:https';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Listener, NetdConfig } from '../config/netd-config';
import { isLoopbackHost } from '../config/netd-config';
import { activatedSockets, selectActivated } from '../service/listen-fds';

export interface OpenListener {
  readonly address: string;
  readonly server: Server;
  /** Every connection open on it, hijacked ones included (the server stops counting those). */
  readonly sockets: Set<Socket>;
}

/**
 * Open every configured listener as its own http/https server that hands requests to the
 * application's server ('request' event), so the unix socket and TCP share one router.
 */
export async function openListeners(config: NetdConfig, appServer: Server, log: Logger): Promise<OpenListener[]> {
  const forward = (req: unknown, res: unknown) => appServer.emit('request', req, res);
  const opened: OpenListener[] = [];
  try {
    for (const l of config.hosts) {
      for (const o of l.kind === 'fd' ? await openActivated(l.spec, forward, log) : [await open(l, config, forward, log)]) {
        o.server.on('connection', (s: Socket) => {
          o.sockets.add(s);
          s.once('close', () => o.sockets.delete(s));
        });
        // hijacked streams (attach, exec) come as upgrades; the app's server serves them too
        o.server.on('upgrade', (req, socket, head) => appServer.emit('upgrade', req, socket, head));
        opened.push(o);
      }
    }
  } catch (e) {
    await closeListeners(opened);
    throw e;
  }
  return opened;
}

/** Serve on the sockets systemd passed (already bound and listening; their modes are the socket unit's). */
async function openActivated(spec: string, forward: (req: unknown, res: unknown) => void, log: Logger): Promise<OpenListener[]> {
  const out: OpenListener[] = [];
  try {
    for (const s of selectActivated(spec, activatedSockets())) {
      const server = createServer(forward);
      await listen(server, { fd: s.fd });
      log.info({ fd: s.fd, name: s.name }, 'listening on a socket passed by the service manager');
      out.push({ address: `fd://${s.fd}`, server, sockets: new Set() });
    }
  } catch (e) {
    await closeListeners(out);
    throw e;
  }
  return out;
}

async function open(l: Exclude<Listener, { kind: 'fd' }>, config: NetdConfig, forward: (req: unknown, res: unknown) => void, log: Logger): Promise<OpenListener> {
  if (l.kind === 'unix') {
    mkdirSync(dirname(l.path), { recursive: true, mode: 0o750 });
    removeStaleSocket(l.path, log);
    const server = createServer(forward);
    await listen(server, { path: l.path });
    chmodSync(l.path, 0o660);
    log.info({ socket: l.path }, 'listening');
    return { address: `unix://${l.path}`, server, sockets: new Set() };
  }
  const address = `tcp://${l.host}:${l.port}`;
  let server: Server;
  if (config.tlsVerify) {
    server = createTlsServer(
      {
        ca: readFileSync(config.tlsCaCert!),
        cert: readFileSync(config.tlsCert!),
        key: readFileSync(config.tlsKey!),
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: 'TLSv1.2',
      },
      forward,
    ) as unknown as Server;
  } else {
    if (!config.insecureTcp || !isLoopbackHost(l.host)) throw new Error(`refusing plaintext TCP on ${address}`);
    log.warn({ address }, 'listening on plaintext TCP without authentication (--insecure-tcp): anyone with local access controls netd');
    server = createServer(forward);
  }
  await listen(server, { host: l.host, port: l.port });
  log.info({ address, tls: config.tlsVerify }, 'listening');
  return { address, server, sockets: new Set() };
}

function listen(server: Server, opts: { path: string } | { host: string; port: number } | { fd: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A socket file left by a daemon that died; refuse to remove anything that is not a socket. */
function removeStaleSocket(path: string, log: Logger): void {
  try {
    if (!lstatSync(path).isSocket()) throw new Error(`${path} exists and is not a socket`);
    unlinkSync(path);
    log.info({ socket: path }, 'removed stale socket');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/**
 * Stop accepting, close idle keep-alive connections, give in-flight requests `graceMs` to
 * finish, then destroy every connection still open (a half-open client, a request that never
 * completes), so that closing always ends.
 */
export async function closeListeners(listeners: readonly OpenListener[], graceMs = 5000): Promise<void> {
  const closed = Promise.all(
    listeners.map(
      (l) =>
        new Promise<void>((resolve) => {
          l.server.close(() => resolve());
          l.server.closeIdleConnections();
        }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
  for (const l of listeners) for (const s of l.sockets) s.destroy();
  await closed;
}
