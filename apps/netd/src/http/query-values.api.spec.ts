import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon';

describe('query values the daemon refuses', () => {
  let d: FakeDaemon;
  beforeAll(async () => (d = await startFakeDaemon()));
  afterAll(async () => d.close());

  it.each(['x', '-5x', '{"status":["weird"]}', '1.5', '%00'])('container list refuses limit=%j', async (limit) => {
    const res = await d.request('GET', `/containers/json?limit=${encodeURIComponent(limit)}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^invalid value for limit: /);
  });

  it.each(['/containers/x/resize', '/exec/x/resize'])('%s refuses a size Go would not read as a number', async (path) => {
    for (const h of [' 1', '1e3', '0x10']) {
      const res = await d.request('POST', `${path}?h=${encodeURIComponent(h)}&w=80`);
      expect({ h, status: res.status, message: res.body.message }).toEqual({ h, status: 400, message: `strconv.Atoi: parsing ${JSON.stringify(h)}: invalid syntax` });
    }
  });

  it('container list takes a numeric limit', async () => {
    expect((await d.request('GET', '/containers/json?all=1&limit=3')).status).toBe(200);
  });

  // Date.parse took these for dates (1.2.3 is 2 January 2003), so they were answered with 200
  it.each(['since', 'until'])('events refuse a %s that is neither a time nor a duration', async (k) => {
    for (const v of ['1.2.3', '\u0000', '-x', 'tomorrow']) {
      const res = await d.request('GET', `/events?${k}=${encodeURIComponent(v)}`);
      expect({ v, status: res.status }).toEqual({ v, status: 400 });
      expect(res.body.message).toMatch(/failed to parse value as time or duration/);
    }
  });

  it('network prune refuses an until it cannot read, with its filter named', async () => {
    const res = await d.request('POST', `/networks/prune?filters=${encodeURIComponent('{"until":["1.2.3"]}')}`);
    expect(res).toMatchObject({ status: 400, body: { message: "invalid filter 'until=1.2.3'" } });
  });

  it.each([
    ['GET', '/containers/json?all=1&all=0', 'all'],
    ['GET', '/images/json?filters={}&filters={}', 'filters'],
    ['GET', '/networks/x?verbose=1&verbose=0', 'verbose'],
    ['DELETE', '/volumes/x?force=1&force=0', 'force'],
    ['GET', '/events?since=1&since=2', 'since'],
  ])('%s %s refuses a parameter given twice', async (method, path, name) => {
    const res = await d.request(method, path);
    expect(res).toMatchObject({ status: 400, body: { message: `query parameter ${name} must be given once` } });
  });
});
