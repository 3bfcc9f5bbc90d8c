import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, DaemonError } from './errors';
import { DEFAULT_HOST, resolveEndpoint } from './host';
import { NetdClient } from './netd-client';

describe(NetdClient.name, () => {
  let dir: string;
  let server: Server;
  let seen: { method?: string; url?: string; body: string; type?: string }[];
  let reply: { status: number; body: string };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netctl-client-'));
    seen = [];
    reply = { status: 200, body: '[]' };
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, body, type: req.headers['content-type'] });
        res.statusCode = reply.status;
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(join(dir, 'd.sock'), resolve));
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const client = () => new NetdClient(resolveEndpoint({ host: `unix://${join(dir, 'd.sock')}` }, {}));

  it('prefixes the API version and encodes filters as docker does', async () => {
    await client().listNetworks({ name: ['a b'] });
    expect(seen).toEqual([{ method: 'GET', url: `/v1.47/networks?${new URLSearchParams({ filters: '{"name":{"a b":true}}' })}`, body: '', type: undefined }]);
  });

  it('posts JSON bodies and returns the raw inspect text', async () => {
    reply = { status: 201, body: '{"Id":"abc","Warning":""}' };
    expect(await client().createNetwork({ Name: 'n' })).toEqual({ Id: 'abc', Warning: '' });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1.47/networks/create', body: '{"Name":"n"}', type: 'application/json' });
    reply = { status: 200, body: '{"Name":"n","Labels":{"x":"\\u003c"}}\n' };
    const r = await client().inspectNetworkWithRaw('n/x', { verbose: true });
    expect(seen[1].url).toBe('/v1.47/networks/n%2Fx?verbose=true');
    expect(r).toEqual({ network: { Name: 'n', Labels: { x: '<' } }, raw: reply.body });
  });

  it('turns {message} and the status into a DaemonError', async () => {
    reply = { status: 404, body: '{"message":"network x not found"}' };
    await expect(client().removeNetwork('x')).rejects.toEqual(new DaemonError(404, 'network x not found'));
    await expect(client().removeNetwork('x')).rejects.toMatchObject({ kind: 'not-found' });
    reply = { status: 500, body: 'plain text' };
    await expect(client().listNetworks()).rejects.toMatchObject({ status: 500, message: 'plain text', kind: 'system' });
  });

  it('fails, rather than returning half a body, when the daemon hangs up mid-answer', async () => {
    server.removeAllListeners('request');
    server.on('request', (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('[{"Na');
      setImmediate(() => res.destroy());
    });
    await expect(client().listNetworks()).rejects.toThrow(/aborted|closed before the answer ended/);
  });

  it('reports a missing socket as a ConnectionError', async () => {
    const c = new NetdClient(resolveEndpoint({ host: `unix://${join(dir, 'none.sock')}` }, {}));
    await expect(c.listNetworks()).rejects.toBeInstanceOf(ConnectionError);
  });
});

describe(resolveEndpoint.name, () => {
  it('takes -H, then NETD_HOST, then DOCKER_HOST, then the default', () => {
    const env = { NETD_HOST: 'unix:///a', DOCKER_HOST: 'unix:///b' };
    expect(resolveEndpoint({ host: 'unix:///h' }, env)).toMatchObject({ socketPath: '/h' });
    expect(resolveEndpoint({}, env)).toMatchObject({ socketPath: '/a' });
    expect(resolveEndpoint({}, { DOCKER_HOST: 'unix:///b' })).toMatchObject({ socketPath: '/b' });
    expect(resolveEndpoint({}, {})).toMatchObject({ url: DEFAULT_HOST, socketPath: '/run/netd/netd.sock' });
  });

  it('uses TLS for tcp:// with --tlsverify and certificates from DOCKER_CERT_PATH', () => {
    expect(resolveEndpoint({ host: 'tcp://127.0.0.1' }, {})).toEqual({ kind: 'tcp', url: 'tcp://127.0.0.1', hostname: '127.0.0.1', port: 2375, tls: undefined });
    expect(resolveEndpoint({ host: 'tcp://[::1]', tlsverify: true, tlskey: '/k.pem' }, { DOCKER_CERT_PATH: '/certs' })).toEqual({
      kind: 'tcp',
      url: 'tcp://[::1]',
      hostname: '::1',
      port: 2376,
      tls: { verify: true, ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/k.pem' },
    });
  });

  it.each(['ssh://x', 'tcp://h:99999', 'unix://'])('refuses %s', (host) => {
    expect(() => resolveEndpoint({ host }, {})).toThrow(/host/);
  });
});
