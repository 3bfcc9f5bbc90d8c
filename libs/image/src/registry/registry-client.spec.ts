import { createServer, type Server } from 'node:http';
import { authEntry, credentialsFor, DOCKER_HUB_AUTH_KEY, parseChallenges } from './auth';
import { RegistryClient, registryErrorText } from './registry-client';

describe('parseChallenges', () => {
  it.each([
    {
      name: 'a bearer challenge',
      header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
      out: [{ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } }],
    },
    { name: 'basic', header: 'Basic realm="netd test"', out: [{ scheme: 'basic', params: { realm: 'netd test' } }] },
    { name: 'escaped quotes and tokens', header: 'Bearer realm="a\\"b", error=insufficient_scope', out: [{ scheme: 'bearer', params: { realm: 'a"b', error: 'insufficient_scope' } }] },
    { name: 'two challenges', header: 'Basic realm="x", Bearer realm="y"', out: [{ scheme: 'basic', params: { realm: 'x' } }, { scheme: 'bearer', params: { realm: 'y' } }] },
  ])('parses $name', ({ header, out }) => expect(parseChallenges(header)).toEqual(out));

  it('rejects an unterminated quote', () => expect(() => parseChallenges('Bearer realm="x')).toThrow('malformed WWW-Authenticate header'));
});

describe('credentialsFor', () => {
  it('reads base64 auths, with docker.io under its historical key', () => {
    const config = { auths: { [DOCKER_HUB_AUTH_KEY]: authEntry({ username: 'u', password: 'p:w' }), 'reg.example:5000': { username: 'a', password: 'b' } } };
    expect(credentialsFor(config, 'docker.io')).toEqual({ username: 'u', password: 'p:w' });
    expect(credentialsFor(config, 'reg.example:5000')).toEqual({ username: 'a', password: 'b' });
    expect(credentialsFor(config, 'other.example')).toBeUndefined();
  });
});

describe(RegistryClient.name, () => {
  describe('isInsecure', () => {
    const c = new RegistryClient({ insecureRegistries: ['reg.lan:5000', '10.0.0.0/8'] });
    it.each([
      ['127.0.0.1:5000', true], ['127.8.9.10', true], ['localhost:5000', true], ['[::1]:5000', true],
      ['reg.lan:5000', true], ['10.1.2.3:443', true], ['docker.io', false], ['reg.lan', false], ['192.168.1.1:5000', false],
    ])('%s → %s', (registry, insecure) => expect(c.isInsecure(registry as string)).toBe(insecure));
    it('uses registry-1.docker.io over https for docker.io', () => expect(c.baseUrl('docker.io').href).toBe('https://registry-1.docker.io/'));
  });

  describe('send', () => {
    let server: Server;
    let host: string;
    const tokenRequests: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (url.pathname === '/token') {
          tokenRequests.push(`${url.searchParams.getAll('scope').join(' ')} ${req.headers.authorization ?? 'anonymous'}`);
          res.setHeader('content-type', 'application/json');
          return res.end(JSON.stringify({ token: `tok-${url.searchParams.get('scope')}` }));
        }
        if (req.headers.authorization !== 'Bearer tok-repository:library/app:pull') {
          res.statusCode = 401;
          res.setHeader('www-authenticate', `Bearer realm="http://${host}/token",service="test",scope="repository:library/app:pull"`);
          return res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        }
        res.end('ok');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('answers a bearer challenge with a token for the scope, then reuses it', async () => {
      const client = new RegistryClient({ credentials: () => ({ username: 'u', password: 'p' }) });
      const req = { registry: host, method: 'GET' as const, path: '/v2/library/app/manifests/latest', scopes: ['repository:library/app:pull'] };
      const first = await client.send(req);
      expect([first.status, await first.body.text()]).toEqual([200, 'ok']);
      const second = await client.send(req);
      expect([second.status, await second.body.text()]).toEqual([200, 'ok']);
      expect(tokenRequests).toEqual([`repository:library/app:pull Basic ${Buffer.from('u:p').toString('base64')}`]);
      await client.close();
    });

    it('returns a refused request with its error body intact', async () => {
      const client = new RegistryClient();
      const res = await client.send({ registry: host, method: 'GET', path: '/v2/other/manifests/x', scopes: ['repository:other:pull'] });
      expect(res.status).toBe(401);
      expect(registryErrorText(await res.body.text())).toBe('unauthorized: authentication required');
      await client.close();
    });
  });
});
