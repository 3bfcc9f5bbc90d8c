import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { resolveEndpoint } from './host';
import { NetdClient } from './netd-client';
import { demultiplex, frame } from './stdcopy';

/** The streaming half of NetdClient against a stub speaking docker's wire: hijack, chunked JSON, tar bodies. */
describe('NetdClient streams', () => {
  let dir: string;
  let server: Server;
  let bodies: { url?: string; headers: IncomingMessage['headers']; body: Buffer }[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netctl-streams-'));
    bodies = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (d: Buffer) => chunks.push(d));
      req.on('end', () => {
        bodies.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        if (req.url?.includes('/images/create')) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write('{"status":"Pulling fs layer","id":"a"}\n{"status":"Downl');
          setTimeout(() => res.end('oading","id":"a","progressDetail":{"current":1,"total":2}}\n{"status":"done"}'), 5);
        } else if (req.url?.includes('/logs')) {
          res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
          const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]);
          res.write(all.subarray(0, 5));
          res.end(all.subarray(5));
        } else if (req.url?.includes('/wait')) {
          res.end('{"StatusCode":7,"Error":null}');
        } else {
          res.statusCode = 404;
          res.end('{"message":"No such container: x"}');
        }
      });
    });
    // docker's hijack: 101 UPGRADED, then the raw socket carries frames out and stdin in
    server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
      if (req.url?.includes('missing')) {
        const body = '{"message":"No such container: x"}';
        socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        return;
      }
      socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
      socket.write(frame(1, 'hello\n'));
      socket.on('data', (d: Buffer) => socket.write(frame(1, `echo:${d.toString()}`)));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'd.sock'), resolve));
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const client = () => new NetdClient(resolveEndpoint({ host: `unix://${join(dir, 'd.sock')}` }, {}));

  it('parses a JSON progress stream split across chunks and sends X-Registry-Auth', async () => {
    const messages = [];
    for await (const m of await client().pullImage({ fromImage: 'busybox', tag: 'latest', auth: { username: 'u', password: 'p', serveraddress: 'r' } })) messages.push(m);
    expect(messages).toEqual([{ status: 'Pulling fs layer', id: 'a' }, { status: 'Downloading', id: 'a', progressDetail: { current: 1, total: 2 } }, { status: 'done' }]);
    expect(bodies[0].url).toBe('/v1.47/images/create?fromImage=busybox&tag=latest');
    expect(JSON.parse(Buffer.from(String(bodies[0].headers['x-registry-auth']), 'base64url').toString())).toEqual({ username: 'u', password: 'p', serveraddress: 'r' });
  });

  it('uploads a streamed tar body', async () => {
    const tar = Readable.from([Buffer.from('abc'), Buffer.from('def')]);
    for await (const _ of await client().pullImage({ fromImage: 'x' })) void _;
    await client().importImage(tar, { repo: 'r', tag: 't' }).then(async (s) => {
      for await (const _ of s) void _;
    });
    expect(bodies[1]).toMatchObject({ url: '/v1.47/images/create?fromSrc=-&repo=r&tag=t', body: Buffer.from('abcdef') });
    expect(bodies[1].headers['content-type']).toBe('application/x-tar');
  });

  it('demultiplexes a logs body whose frames straddle chunks', async () => {
    const out: string[] = [];
    await demultiplex(await client().containerLogs('c', { tail: '5' }), (s, p) => void out.push(`${s}:${p.toString()}`));
    expect(out).toEqual(['1:out\n', '2:err\n']);
    expect(bodies[0].url).toBe('/v1.47/containers/c/logs?stdout=1&stderr=1&tail=5');
  });

  it('hijacks attach: output frames in, stdin out, half-close ends it', async () => {
    const conn = await client().attachContainer('c', { stdin: true, stdout: true, stderr: true });
    const out: string[] = [];
    const done = demultiplex(conn, (_s, p) => void out.push(p.toString()));
    conn.write('ping');
    await new Promise((r) => setTimeout(r, 20));
    conn.end();
    await done;
    expect(out).toEqual(['hello\n', 'echo:ping']);
  });

  it('reads wait and reports stream request errors as DaemonError', async () => {
    expect(await client().waitContainer('c', 'next-exit')).toEqual({ StatusCode: 7, Error: null });
    await expect(client().attachContainer('missing/x', {})).rejects.toMatchObject({ name: 'DaemonError', status: 404, message: 'No such container: x' });
  });
});
