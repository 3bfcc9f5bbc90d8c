import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon';
import { UNIMPLEMENTED_ENDPOINTS } from './not-implemented';
import { streamRoute } from '../containers/streams';

/** Docker API endpoints netd lacks answer 501 naming the endpoint; other unknown paths stay 404. */
describe('unimplemented Docker endpoints', () => {
  let d: FakeDaemon;
  beforeAll(async () => {
    d = await startFakeDaemon();
  });
  afterAll(() => d.close());

  const inject = async (method: string, url: string) => {
    const res = await d.app.getHttpAdapter().getInstance().inject({ method: method as 'GET', url });
    return { status: res.statusCode, type: res.headers['content-type'], body: method === 'HEAD' ? undefined : (JSON.parse(res.body) as unknown) };
  };
  const concrete = (path: string) => path.replace('{id}', 'abc123').replace('{name}', 'vieux/sshfs:latest');

  it.each(UNIMPLEMENTED_ENDPOINTS.map(([m, p]) => [m, p]))('%s %s answers 501 naming the endpoint, with and without a version prefix', async (method, path) => {
    for (const prefix of ['', '/v1.41', '/v1.47']) {
      const res = await inject(method, `${prefix}${concrete(path)}?all=1`);
      expect(res.status).toBe(501);
      expect(res.type).toBe('application/json');
      if (method !== 'HEAD') expect(res.body).toEqual({ message: `${method} ${path} is not implemented by netd` });
    }
  });

  it('names the endpoint Docker clients call (changes, export)', async () => {
    expect((await inject('GET', '/containers/web/changes')).body).toEqual({ message: 'GET /containers/{id}/changes is not implemented by netd' });
    expect((await inject('GET', '/v1.41/containers/web/export')).body).toEqual({ message: 'GET /containers/{id}/export is not implemented by netd' });
  });

  it('keeps Docker\'s 404 page not found for paths that are not Docker API paths or use another method', async () => {
    for (const [method, url] of [['GET', '/nope'], ['GET', '/v1.41/containers/web/rename'], ['POST', '/containers/web/top'], ['GET', '/containers/a/b/top'], ['POST', '/system/df'], ['HEAD', '/containers/web/json']]) {
      const res = await inject(method, url);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
      if (method !== 'HEAD') expect(res.body).toEqual({ message: 'page not found' });
    }
  });

  it('leaves the endpoints netd serves to their routes', async () => {
    expect((await inject('POST', '/containers/nope/kill')).status).toBe(404);
    expect((await inject('POST', '/containers/nope/kill')).body).toEqual({ message: 'No such container: nope' });
    expect((await d.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/_ping' })).statusCode).toBe(200);
    expect((await inject('GET', '/swarm')).status).toBe(503);
  });
});

describe('unimplemented Docker endpoints on a hijack (upgrade) request', () => {
  // what the client sees is asserted in upgrade.spec.ts; here, the route's verdict
  it('answers 501 naming the endpoint instead of 404', () => {
    expect(() => streamRoute('POST', '/session')).toThrow(expect.objectContaining({ kind: 'not-implemented', message: 'POST /session is not implemented by netd' }) as Error);
    expect(() => streamRoute('POST', '/containers/x/nope')).toThrow(expect.objectContaining({ statusCode: 404, message: 'page not found' }) as Error);
  });
});
