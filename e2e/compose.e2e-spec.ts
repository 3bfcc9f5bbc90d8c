// The README's compose example (examples/compose/docker-compose.yml) through Debian's
// docker-compose 1.29, unchanged, against netd in a test host namespace: two networks (one
// internal), aliases, static IPv4 and IPv6 addresses, links, a published port, scale, ps, logs,
// exec, run --rm, restart, a second `up` that changes nothing, and `down -v` leaving nothing.
// The stack comes up once; every test reads or changes it in order.
import { describeAsRoot, ipJson, nsExec } from '@app/kernel/testing';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { api } from '../apps/netd/src/testing/netd-process';
import { COMPOSE, composeOk, composeRunner, requireClient } from './support/compose';
import { type DockerNetd, ok, startDockerNetd } from './support/docker-netd';
import { until } from './support/until';

const EXAMPLE = resolve(__dirname, '../examples/compose/docker-compose.yml');
const PROJECT = 'readme';

describeAsRoot('docker-compose 1.29 drives the README example stack on netd', () => {
  let t: DockerNetd;
  const compose = composeRunner(() => t.netd.socket, PROJECT, EXAMPLE);
  /** compose attaching by itself (docker-py + dockerpty), which reads Config.AttachStdin/out/err. */
  const composeNoCli = composeRunner(() => t.netd.socket, PROJECT, EXAMPLE, { COMPOSE_INTERACTIVE_NO_CLI: '1' });
  const d = (...args: string[]) => t.d(...args);
  const inspect = (name: string) => JSON.parse(ok(d('inspect', name)))[0];
  /** What netd owns in the host namespace and its own directories: the same before `up` and after `down -v`. */
  const kernelState = async () => ({
    links: (await ipJson<{ ifname: string }[]>(t.host.name, ['link', 'show'])).map((l) => l.ifname).sort(),
    nft: await nsExec(t.host.name, 'nft', ['list', 'table', 'inet', 'netd']),
    namespaces: existsSync(t.nsDir) ? readdirSync(t.nsDir).filter((n) => n.startsWith('netd-c-')).sort() : [],
  });
  let before: Awaited<ReturnType<typeof kernelState>>;

  beforeAll(async () => {
    requireClient(COMPOSE, 'docker-compose');
    t = await startDockerNetd({ bridge: 'netdcmp' });
    before = await kernelState();
    composeOk(await compose('up', '-d'));
  });

  afterAll(async () => {
    if (t) await compose('down', '-v', '--timeout', '1').catch(() => undefined);
    await t?.dispose();
  });

  afterEach(() => {
    if (t && expect.getState().assertionCalls !== expect.getState().numPassingAsserts) process.stderr.write(`netd logs:\n${t.netd.logs().slice(-4000)}\n`);
  });

  it('creates both networks as the file says: frontend with IPv6, backend internal, compose\'s labels', async () => {
    const nets = (await api(t.netd.socket, 'GET', '/networks')).body as { Name: string }[];
    expect(nets.map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none', `${PROJECT}_backend`, `${PROJECT}_frontend`]);
    const front = (await api(t.netd.socket, 'GET', `/networks/${PROJECT}_frontend`)).body;
    expect(front).toMatchObject({ EnableIPv6: true, Internal: false, Labels: { 'com.docker.compose.network': 'frontend', 'com.docker.compose.project': PROJECT } });
    expect(front.IPAM).toEqual({ Driver: 'default', Options: null, Config: [{ Subnet: '10.231.1.0/24', Gateway: '10.231.1.1' }, { Subnet: 'fd00:231:1::/64', Gateway: 'fd00:231:1::1' }] });
    const back = (await api(t.netd.socket, 'GET', `/networks/${PROJECT}_backend`)).body;
    expect(back).toMatchObject({ Internal: true, EnableIPv6: false });
    expect(Object.values(back.Containers as Record<string, { Name: string }>).map((c) => c.Name).sort()).toEqual([`${PROJECT}_api_1`, `${PROJECT}_web_1`, `${PROJECT}_worker_1`]);
  });

  it('ps lists every service up, with the published port', async () => {
    const ps = composeOk(await compose('ps'));
    for (const s of ['api_1', 'web_1', 'worker_1']) expect(ps).toMatch(new RegExp(`^${PROJECT}_${s}\\s.*\\bUp\\b`, 'm'));
    expect(ps).toMatch(/0\.0\.0\.0:18080->80\/tcp/);
    expect(composeOk(await compose('ps', '-q')).trim().split('\n')).toHaveLength(3);
  });

  it('gives web its static IPv4 and IPv6 addresses, aliases and link, and api its static address', async () => {
    const web = inspect(`${PROJECT}_web_1`);
    expect(web.NetworkSettings.Networks[`${PROJECT}_frontend`]).toMatchObject({
      IPAddress: '10.231.1.10', GlobalIPv6Address: 'fd00:231:1::10', IPAMConfig: { IPv4Address: '10.231.1.10', IPv6Address: 'fd00:231:1::10' },
      Aliases: expect.arrayContaining(['www', 'web']),
    });
    expect(web.NetworkSettings.Networks[`${PROJECT}_backend`].Links).toEqual(expect.arrayContaining([`${PROJECT}_api_1:backend-api`]));
    expect(web.Config.Labels).toMatchObject({ 'com.docker.compose.service': 'web', 'com.docker.compose.config-hash': expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(web.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: {} });
    expect(inspect(`${PROJECT}_api_1`).NetworkSettings.Networks[`${PROJECT}_backend`].IPAddress).toBe('10.231.2.20');
    const addrs = composeOk(await compose('exec', '-T', 'web', 'ip', 'addr'));
    expect(addrs).toContain('inet 10.231.1.10/24');
    expect(addrs).toContain('inet6 fd00:231:1::10/64');
  });

  it('web reaches api by service name, alias and link; workers see api but not the frontend', async () => {
    const fetches = 'for n in api api.internal backend-api; do wget -qO- http://$n:8080/ || exit 1; done';
    expect(composeOk(await compose('exec', '-T', 'web', 'sh', '-c', fetches))).toBe('api ok\napi ok\napi ok\n');
    expect(composeOk(await compose('exec', '-T', 'worker', 'wget', '-qO-', 'http://api:8080/'))).toBe('api ok\n');
    // the link alias is web's own: no other container resolves it
    expect((await compose('exec', '-T', 'worker', 'nslookup', 'backend-api')).code).not.toBe(0);
    expect((await compose('exec', '-T', 'worker', 'nslookup', 'www')).code).not.toBe(0);
  });

  it('publishes web on port 18080 of the host, over IPv4, and web answers on its static IPv6 address', async () => {
    const body = await until('the published port', async () => (await nsExec(t.host.name, 'curl', ['-s', '-m', '2', 'http://127.0.0.1:18080/']).catch(() => '')) || undefined);
    expect(body).toBe('hello from web\n');
    const v6 = await until('web over IPv6', async () => (await nsExec(t.host.name, 'curl', ['-s', '-m', '2', 'http://[fd00:231:1::10]/']).catch(() => '')) || undefined);
    expect(v6).toBe('hello from web\n');
  });

  it('logs shows what each service printed', async () => {
    const logs = composeOk(await compose('logs', '--no-color', 'api', 'worker'));
    expect(logs).toMatch(/^api_1\s+\| api ready$/m);
    expect(logs).toMatch(/^worker_1\s+\| worker up$/m);
  });

  it('exec answers the command\'s exit code', async () => {
    expect((await compose('exec', '-T', 'web', 'sh', '-c', 'exit 3')).code).toBe(3);
    expect((await compose('exec', '-T', 'web', 'true')).code).toBe(0);
  });

  it('run --rm runs a one-off on the service\'s networks and leaves no container', async () => {
    const out = composeOk(await compose('run', '--rm', '-T', 'worker', 'wget', '-qO-', 'http://api.internal:8080/'));
    expect(out).toContain('api ok');
    // dockerpty attaches after the start, as against dockerd: only what comes later reaches it
    const late = await composeNoCli('run', '--rm', '-T', 'worker', 'sh', '-c', 'sleep 1; wget -qO- http://api:8080/; exit 4');
    expect({ code: late.code, stdout: late.stdout }).toEqual({ code: 4, stdout: 'api ok\n' });
    const all = ok(d('ps', '-a', '--format', '{{.Names}}')).trim().split('\n').sort();
    expect(all).toEqual([`${PROJECT}_api_1`, `${PROJECT}_web_1`, `${PROJECT}_worker_1`]);
  });

  it('restart starts the service\'s container again, with its address', async () => {
    const started = inspect(`${PROJECT}_api_1`).State.StartedAt;
    composeOk(await compose('restart', '-t', '1', 'api'));
    const api1 = inspect(`${PROJECT}_api_1`);
    expect(api1.State).toMatchObject({ Running: true });
    expect(api1.State.StartedAt).not.toBe(started);
    expect(api1.NetworkSettings.Networks[`${PROJECT}_backend`].IPAddress).toBe('10.231.2.20');
    await until('api after restart', async () => (await compose('exec', '-T', 'web', 'wget', '-qO-', 'http://api:8080/')).stdout === 'api ok\n');
  });

  it('scales workers, and the same `up` again changes nothing (compose\'s config hash)', async () => {
    composeOk(await compose('up', '-d', '--scale', 'worker=2'));
    const ids = () => ok(d('ps', '-q', '--no-trunc')).trim().split('\n').sort();
    const first = ids();
    expect(first).toHaveLength(4);
    expect(inspect(`${PROJECT}_worker_2`).NetworkSettings.Networks[`${PROJECT}_backend`].IPAddress).toMatch(/^10\.231\.2\.\d+$/);
    const again = await compose('up', '-d', '--scale', 'worker=2');
    composeOk(again);
    expect(again.stderr).not.toMatch(/Recreating|Creating|Starting/);
    expect(again.stderr).toMatch(/readme_web_1 is up-to-date/);
    expect(ids()).toEqual(first);
  });

  it('down -v removes every container and network and leaves the kernel as it found it', async () => {
    composeOk(await compose('down', '-v', '--timeout', '1'));
    expect(ok(d('ps', '-aq'))).toBe('');
    expect(((await api(t.netd.socket, 'GET', '/networks')).body as { Name: string }[]).map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
    expect(await kernelState()).toEqual(before);
    expect(readdirSync(join(t.netd.dataRoot, 'containers'))).toEqual([]);
  });
});
