import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon';
import { tarOf } from '../testing/tar';

/** The HTTP edge on the whole (fake-kernel) daemon: routing, decoding, bodies, query checks. */
describe('HTTP edge', () => {
  let d: FakeDaemon;
  let fastify: ReturnType<FakeDaemon['app']['getHttpAdapter']>['getInstance'] extends () => infer F ? F : never;

  beforeAll(async () => {
    d = await startFakeDaemon();
    fastify = d.app.getHttpAdapter().getInstance();
  });
  afterAll(() => d.close());

  const inject = async (method: string, url: string, payload?: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fastify.inject({ method: method as 'GET', url, payload, headers });
    return { status: res.statusCode, text: res.body, headers: res.headers, json: () => JSON.parse(res.body) as { message?: string } };
  };

  it('decodes a path exactly once on every container route', async () => {
    for (const [method, url] of [['DELETE', '/containers/a%2525b'], ['GET', '/containers/a%2525b/json'], ['POST', '/containers/a%2525b/kill'], ['POST', '/containers/a%2525b/attach']]) {
      const res = await inject(method, url);
      expect({ url, status: res.status, body: res.json() }).toEqual({ url, status: 404, body: { message: 'No such container: a%25b' } });
    }
  });

  it('answers bad percent-encoding in a path with 400 and Docker\'s body shape', async () => {
    for (const url of ['/containers/%E0%A4%A/json', '/containers/%E0%A4%A', '/networks/%zz', '/exec/%/json']) {
      const res = await inject(url === '/containers/%E0%A4%A' ? 'DELETE' : 'GET', url);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/json');
      expect(Object.keys(res.json())).toEqual(['message']);
    }
  });

  it.each(['SIGFOO', '99', '-1', '0', 'KILL%00'])('refuses kill/stop/restart with signal=%s before looking the container up', async (signal) => {
    for (const verb of ['kill', 'stop', 'restart']) {
      const res = await inject('POST', `/containers/nope/${verb}?signal=${signal}`);
      expect({ verb, status: res.status, body: res.json() }).toEqual({ verb, status: 400, body: { message: `Invalid signal: ${decodeURIComponent(signal)}` } });
    }
  });

  it('accepts Docker\'s signal spellings (then finds no container)', async () => {
    for (const signal of ['SIGTERM', 'term', '9', 'RTMIN+2', 'sigusr1']) {
      expect((await inject('POST', `/containers/nope/kill?signal=${encodeURIComponent(signal)}`)).status).toBe(404);
    }
  });

  it('refuses an API version past any integer as too new', async () => {
    const res = await inject('GET', '/v99999999999999999999.1/_ping');
    expect({ status: res.status, body: res.json() }).toEqual({ status: 400, body: { message: 'client version 99999999999999999999.1 is too new. Maximum supported API version is 1.47' } });
  });

  it('answers HEAD only on /_ping; a stream route gets 404 at once instead of an answer held open', async () => {
    const ping = await inject('HEAD', '/_ping');
    expect(ping.status).toBe(200);
    expect(ping.headers['api-version']).toBe('1.47');
    for (const url of ['/events', '/containers/x/logs?follow=1&stdout=1', '/containers/json', '/v1.47/events']) {
      const res = await inject('HEAD', url);
      expect({ url, status: res.status }).toEqual({ url, status: 404 });
    }
  });

  it.each([
    { name: 'no Cmd', body: {}, message: 'No exec command specified' },
    { name: 'empty Cmd', body: { Cmd: [] }, message: 'No exec command specified' },
    { name: 'empty program', body: { Cmd: [''] }, message: 'No exec command specified' },
    { name: 'Cmd of numbers', body: { Cmd: [1, 2] }, message: 'Cmd must be an array of strings without NUL bytes' },
    { name: 'Cmd with NUL', body: { Cmd: ['a\u0000b'] }, message: 'Cmd must be an array of strings without NUL bytes' },
    { name: 'Env not a list', body: { Cmd: ['id'], Env: 'A=1' }, message: 'Env must be an array of strings' },
    { name: 'Env of numbers', body: { Cmd: ['id'], Env: [1] }, message: 'Env must be an array of strings' },
    { name: 'Env with NUL', body: { Cmd: ['id'], Env: ['A=\u0000'] }, message: 'invalid environment variable: A=\\u0000' },
    { name: 'Env without a key', body: { Cmd: ['id'], Env: ['=1'] }, message: 'invalid environment variable: =1' },
    { name: 'User a number', body: { Cmd: ['id'], User: 0 }, message: 'User must be a string of the form name|uid[:group|gid]' },
    { name: 'User with two colons', body: { Cmd: ['id'], User: 'a:b:c' }, message: 'User must be a string of the form name|uid[:group|gid]' },
    { name: 'relative WorkingDir', body: { Cmd: ['id'], WorkingDir: 'tmp' }, message: "the working directory 'tmp' is invalid, it needs to be an absolute path" },
    { name: 'WorkingDir not a string', body: { Cmd: ['id'], WorkingDir: ['/'] }, message: 'WorkingDir must be a string' },
    { name: 'DetachKeys unknown', body: { Cmd: ['id'], DetachKeys: 'ctrl-1' }, message: 'Invalid escape keys (ctrl-1) provided' },
    { name: 'DetachKeys empty item', body: { Cmd: ['id'], DetachKeys: 'a,,b' }, message: 'Invalid escape keys (a,,b) provided' },
    { name: 'Tty a string', body: { Cmd: ['id'], Tty: 'yes' }, message: 'Tty must be a boolean value' },
    { name: 'ConsoleSize short', body: { Cmd: ['id'], ConsoleSize: [24] }, message: 'ConsoleSize must be [height, width], whole numbers up to 65535' },
    { name: 'a list', body: [{ Cmd: ['id'] }], message: 'request body must be a JSON object' },
  ])('refuses exec create with $name (400, before the container is looked up)', async ({ body, message }) => {
    const res = await inject('POST', '/containers/nope/exec', JSON.stringify(body), { 'content-type': 'application/json' });
    expect({ status: res.status, body: res.json() }).toEqual({ status: 400, body: { message } });
  });

  it('passes a valid exec create on to the container lookup', async () => {
    const body = { Cmd: ['id'], User: 'nobody:nogroup', WorkingDir: '/tmp', Env: ['A=1', 'B'], DetachKeys: 'ctrl-a,x', Tty: true, ConsoleSize: [24, 80] };
    const res = await inject('POST', '/containers/nope/exec', JSON.stringify(body), { 'content-type': 'application/json' });
    expect({ status: res.status, body: res.json() }).toEqual({ status: 404, body: { message: 'No such container: nope' } });
  });

  it.each([
    { body: '{"Detach":1}', message: 'Detach must be a boolean value' },
    { body: '[]', message: 'request body must be a JSON object' },
    { body: '{', message: expect.stringMatching(/JSON/) },
  ])('refuses exec start with $body', async ({ body, message }) => {
    const res = await inject('POST', '/exec/nope/start', body, { 'content-type': 'application/json' });
    expect({ status: res.status, body: res.json() }).toEqual({ status: 400, body: { message } });
  });

  it('refuses an attach query parameter given twice on the plain route too', async () => {
    const res = await inject('POST', '/containers/nope/attach?stream=1&stream=0');
    expect({ status: res.status, body: res.json() }).toEqual({ status: 400, body: { message: 'query parameter stream must be given once' } });
  });

  it('takes docker-py\'s build context (Content-Type: application/tar) as a tar stream', async () => {
    const ctx = await tarOf({ Dockerfile: 'FROM scratch\nCOPY hello /hello\nCMD ["/hello"]\n', hello: 'hi' });
    const res = await inject('POST', '/build?t=pybuilt:1', ctx, { 'content-type': 'application/tar' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Successfully tagged pybuilt:1');
  });
});
