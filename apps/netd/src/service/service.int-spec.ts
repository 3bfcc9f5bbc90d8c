// netd as a systemd service without systemd as PID 1: started by systemd-socket-activate (the
// socket passed as fd 3), talking to a notification socket this test binds (a datagram socket in
// a python3 helper), reloaded by SIGHUP. The daemon programs a namespace this test creates.
import { createTempNetns, describeAsRoot, type TempNetns } from '@app/kernel/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, bundleNetd, removeDir } from '../testing/netd-process';

const SOCKET_ACTIVATE = '/usr/bin/systemd-socket-activate';
const PYTHON = '/usr/bin/python3';
/** Binds a datagram socket and prints every message it receives as a JSON string per line. */
const NOTIFY_LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps("bound"), flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

describeAsRoot('netd under a service manager', () => {
  let ns: TempNetns | undefined;
  let dir = '';
  let listener: ChildProcess | undefined;
  let netd: ChildProcess | undefined;
  let netdExit: Promise<number | null> | undefined;
  let stderr = '';
  const messages: string[] = [];
  const sock = () => join(dir, 'activated.sock');
  const octet = randomInt(100, 200);
  const pools = (second: number) => [{ base: `10.${second}.0.0/16`, size: 24 }];
  const logLines = () => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  const notified = (state: string) => messages.filter((m) => m.split('\n').includes(state)).length;

  beforeAll(async () => {
    for (const tool of [SOCKET_ACTIVATE, PYTHON]) if (!existsSync(tool)) throw new Error(`${tool} is missing (Debian's systemd and python3 packages)`);
    ns = await createTempNetns();
    dir = mkdtempSync(join(tmpdir(), 'netd-svc-'));
    const notifySocket = join(dir, 'notify.sock');
    listener = spawn(PYTHON, ['-c', NOTIFY_LISTENER, notifySocket], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    listener.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        messages.push(JSON.parse(buf.slice(0, i)) as string);
        buf = buf.slice(i + 1);
      }
    });
    await until('the notification socket', () => messages.includes('bound'));
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'log-level': 'info', 'default-address-pools': pools(octet) }));
    const main = await bundleNetd();
    netd = spawn(SOCKET_ACTIVATE, [
      '-l', sock(), '-E', `NOTIFY_SOCKET=${notifySocket}`, '-E', 'WATCHDOG_USEC=300000',
      process.execPath, main, '-H', 'fd://', '--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'run'), '--host-netns', ns.ref.path, '--netns-dir', join(dir, 'netns'),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    netd.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    netdExit = new Promise((r) => netd!.once('exit', (code) => r(code)));
    await until('the activated socket', () => existsSync(sock()));
  }, 60_000);

  afterAll(async () => {
    if (netd && !exited(netd)) {
      netd.kill('SIGKILL');
      await netdExit;
    }
    if (listener && !exited(listener)) listener.kill('SIGKILL');
    await ns?.dispose();
    if (dir) removeDir(dir);
  }, 60_000);

  afterEach(() => {
    if (expect.getState().assertionCalls !== expect.getState().numPassingAsserts) {
      process.stderr.write(`netd logs:\n${stderr.slice(-4000)}\nnotifications: ${JSON.stringify(messages)}\n`);
    }
  });

  it('starts on the first connection to the activated socket, answers on it, sends READY=1 and pings the watchdog', async () => {
    // systemd-socket-activate starts netd when the first client connects; that client is answered
    const ping = await api(sock(), 'GET', '/_ping');
    expect(ping).toMatchObject({ status: 200, text: 'OK' });
    expect(notified('READY=1')).toBe(1);
    expect(messages.find((m) => m.startsWith('READY=1'))).toMatch(new RegExp(`\\nSTATUS=serving on fd://3\\nMAINPID=${netd!.pid}$`));
    // WatchdogSec 0.3 s: a ping every 150 ms
    await until('three watchdog pings', () => notified('WATCHDOG=1') >= 3, 5_000);
    expect(logLines().find((l) => l.msg === 'listening on a socket passed by the service manager')).toMatchObject({ fd: 3 });
  });

  it('reloads daemon.json on SIGHUP: a new log level and address pool apply at once, a restart-only key is reported, the pid and a running container stay', async () => {
    const created = async (name: string) => {
      const res = await api(sock(), 'POST', '/networks/create', { Name: name, Labels: { note: 'body-secret-7f3a' } }, { 'X-Registry-Auth': 'aGVhZGVyLXNlY3JldA' });
      expect(res.status).toBe(201);
      return (await api(sock(), 'GET', `/networks/${name}`)).body.IPAM.Config[0].Subnet as string;
    };
    expect(await created('before')).toBe(`10.${octet}.0.0/24`);
    const ctr = await api(sock(), 'POST', '/containers/create?name=keeps-running', { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'before' } });
    expect(ctr.status).toBe(201);
    expect((await api(sock(), 'POST', `/containers/${ctr.body.Id}/start`)).status).toBe(204);
    const state = async () => (await api(sock(), 'GET', `/containers/${ctr.body.Id}/json`)).body.State as { Running: boolean; Pid: number };
    const running = await state();
    expect(running).toMatchObject({ Running: true, Pid: expect.any(Number) });
    expect(logLines().filter((l) => l.component === 'api')).toEqual([]);

    const pid = netd!.pid!;
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ 'log-level': 'debug', 'default-address-pools': pools(octet + 1), bridge: 'netd9', dns: ['192.0.2.53'] }));
    const reloadsBefore = notified('RELOADING=1');
    process.kill(pid, 'SIGHUP');
    const reloaded = await until('the reload', () => logLines().find((l) => String(l.msg).startsWith('configuration reloaded')));
    expect(reloaded).toMatchObject({ applied: expect.arrayContaining(['log-level', 'default-address-pools', 'dns']), needsRestart: ['bridge'] });
    await until('RELOADING=1 then READY=1', () => notified('RELOADING=1') === reloadsBefore + 1 && notified('READY=1') === 2);

    expect(await created('after')).toBe(`10.${octet + 1}.0.0/24`);
    expect((await api(sock(), 'GET', '/_ping?token=query-secret-9c1d')).status).toBe(200);
    // one access line per request, at debug; never the query, a header or the body
    const access = await until('the access log', () => logLines().filter((l) => l.component === 'api').length >= 3 && logLines().filter((l) => l.component === 'api'));
    expect(access).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 20, msg: 'request', method: 'POST', path: '/networks/create', status: 201, ms: expect.any(Number) }),
      expect.objectContaining({ method: 'GET', path: '/_ping', status: 200 }),
    ]));
    for (const secret of ['body-secret-7f3a', 'aGVhZGVyLXNlY3JldA', 'query-secret-9c1d']) expect(stderr).not.toContain(secret);

    // a broken file: logged, the running configuration stays, the daemon serves on
    writeFileSync(join(dir, 'daemon.json'), '{"log-level": ');
    process.kill(pid, 'SIGHUP');
    await until('the failed reload', () => logLines().find((l) => String(l.msg).startsWith('reload failed, the running configuration stays')));
    expect(await created('later')).toBe(`10.${octet + 1}.1.0/24`);
    expect(exited(netd!)).toBe(false);
    expect(netd!.pid).toBe(pid);
    // the resolver process netd started for the container (it outlives netd) does not hold the
    // activated socket: node has it close-on-exec from the start (measured), so nothing has to
    const pidFile = join(dir, 'run', 'dns', 'resolver.pid');
    const resolver = Number(readFileSync(pidFile, 'utf8').trim());
    const apiSocket = readlinkSync(`/proc/${pid}/fd/3`);
    expect(apiSocket).toMatch(/^socket:\[\d+\]$/);
    expect(readdirSync(`/proc/${resolver}/fd`).map((fd) => readlinkSync(`/proc/${resolver}/fd/${fd}`))).not.toContain(apiSocket);
    // the container went through both reloads untouched
    expect(await state()).toMatchObject({ Running: true, Pid: running.Pid });
    expect((await api(sock(), 'DELETE', `/containers/${ctr.body.Id}?force=1`)).status).toBe(204);
  });

  it('sends STOPPING=1 on SIGTERM and exits 0', async () => {
    netd!.kill('SIGTERM');
    expect(await netdExit).toBe(0);
    expect(notified('STOPPING=1')).toBe(1);
  });
});
