import { IpAddr, SystemError } from '@app/common';
import { ContainerManager } from '@app/container';
import { FakeRuntime, MemoryContainerStore } from '@app/container/testing';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventsService } from '../events/events.service';
import { ExecRegistry, execFailureCode } from './exec-registry';

describe(ExecRegistry.name, () => {
  let dir: string;
  let runtime: FakeRuntime;
  let mgr: ContainerManager;
  let published: string[];
  let execs: ExecRegistry;
  let containerId: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netd-exec-'));
    mkdirSync(join(dir, 'layer'));
    runtime = new FakeRuntime();
    runtime.onExec = (_id, spec) => ({ exitCode: 7, stdout: `ran ${spec.args.join(' ')}\n`, stderr: 'warn\n' });
    mgr = new ContainerManager({
      runtime, store: new MemoryContainerStore(), stateDir: join(dir, 'containers'), cgroupMode: 'hybrid',
      hostResolvConf: () => '', hostGateway: IpAddr.parse('172.17.0.1'),
    });
    published = [];
    execs = new ExecRegistry(mgr, { publish: (action: string) => void published.push(action.split(':')[0]) } as unknown as EventsService);
    const r = await mgr.create({ name: 'box', lowers: [join(dir, 'layer')], cmd: ['sleep', '1000'], network: { kind: 'host' } });
    await mgr.start(r.id);
    containerId = r.id;
  });
  afterEach(() => {
    mgr.detach();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('open', () => {
    it('connects before the process runs, streams its output apart, and records the exit code before exited resolves', async () => {
      const { Id } = await execs.create('box', { Cmd: ['echo', 'hi'], AttachStdout: true, AttachStderr: true });
      const ex = await execs.open(Id);
      const got: string[] = [];
      ex.session.onOutput((stream, data) => got.push(`${stream}:${data.toString()}`));
      expect(execs.inspect(Id)).toMatchObject({ Running: false, ExitCode: null });
      ex.run();
      expect(execs.inspect(Id).Running).toBe(true);
      expect(await ex.exited).toBe(7);
      expect(got).toEqual(['stdout:ran echo hi\n', 'stderr:warn\n']);
      expect(execs.inspect(Id)).toMatchObject({ Running: false, ExitCode: 7, ContainerID: containerId });
      expect(published).toEqual(['exec_create', 'exec_start', 'exec_die']);
    });

    it('with Tty the output is one stream', async () => {
      const { Id } = await execs.create('box', { Cmd: ['sh'], Tty: true });
      const ex = await execs.open(Id);
      const streams = new Set<string>();
      ex.session.onOutput((stream) => streams.add(stream));
      ex.run();
      await ex.exited;
      expect(ex.tty).toBe(true);
      expect([...streams]).toEqual(['stdout']);
    });

    it('refuses a second start with a Conflict', async () => {
      const { Id } = await execs.create('box', { Cmd: ['true'] });
      await execs.open(Id);
      await expect(execs.open(Id)).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('records 126 when the exec cannot be set up (the container stopped meanwhile)', async () => {
      const { Id } = await execs.create('box', { Cmd: ['true'] });
      await mgr.kill('box');
      await new Promise((r) => setTimeout(r, 20));
      await expect(execs.open(Id)).rejects.toMatchObject({ kind: 'conflict' });
      expect(execs.inspect(Id).ExitCode).toBe(126);
    });
  });

  describe('a program the runtime cannot run', () => {
    it.each([
      { err: 'exec: "nope": executable file not found in $PATH', code: 127 },
      { err: 'exec: "/etc/passwd": permission denied', code: 126 },
    ])('exits $code for runc\'s "$err", with Docker\'s text', async ({ err, code }) => {
      const { Id } = await execs.create('box', { Cmd: ['nope'] });
      const real = runtime.execSession.bind(runtime);
      jest.spyOn(runtime, 'execSession').mockImplementation(async (id, spec) => {
        const session = await real(id, spec);
        return { ...session, exited: Promise.reject(new SystemError(`exec in container ${id}: time="x" level=error msg="exec failed: ${err.replace(/"/g, '\\"')}"`)) };
      });
      const ex = await execs.open(Id);
      ex.run();
      expect(await ex.exited).toBe(code);
      expect(ex.failure()).toBe(`OCI runtime exec failed: exec failed: ${err}: unknown`);
      expect(execs.inspect(Id).ExitCode).toBe(code);
    });
  });

  describe('create', () => {
    it('runs as the User asked for, resolved at create (a uid needs no passwd entry)', async () => {
      const spy = jest.spyOn(runtime, 'execSession');
      const { Id } = await execs.create('box', { Cmd: ['id'], User: '4321:99' });
      (await execs.open(Id)).run();
      expect(spy.mock.calls[0][1]).toMatchObject({ user: { uid: 4321, gid: 99 } });
      expect(execs.inspect(Id).ProcessConfig.user).toBe('4321:99');
    });

    it('refuses an unknown user name with Docker\'s text and creates nothing', async () => {
      published.length = 0;
      await expect(execs.create('box', { Cmd: ['id'], User: 'no-such-user-here' })).rejects.toMatchObject({
        kind: 'invalid-parameter', message: 'unable to find user no-such-user-here: no matching entries in passwd file',
      });
      expect(published).toEqual([]);
    });

    it('passes WorkingDir, Env and Privileged through, refuses a relative WorkingDir', async () => {
      const spy = jest.spyOn(runtime, 'execSession');
      const { Id } = await execs.create('box', { Cmd: ['pwd'], WorkingDir: '/tmp', Env: ['A=1', 'B'], Privileged: true });
      (await execs.open(Id)).run();
      expect(spy.mock.calls[0][1]).toMatchObject({ cwd: '/tmp', env: ['A=1', 'B'], privileged: true });
      expect(execs.inspect(Id).ProcessConfig.privileged).toBe(true);
      await expect(execs.create('box', { Cmd: ['id'], WorkingDir: 'rel' })).rejects.toMatchObject({ kind: 'invalid-parameter' });
    });

    it('keeps the detach keys (ctrl-p,ctrl-q unless given) and a ConsoleSize for the start', async () => {
      const a = await execs.create('box', { Cmd: ['sh'], Tty: true, DetachKeys: 'ctrl-a,x', ConsoleSize: [30, 90] });
      const b = await execs.create('box', { Cmd: ['sh'], Tty: true });
      const ea = await execs.open(a.Id);
      const resize = jest.spyOn(ea.session, 'resize');
      expect([...ea.detachKeys]).toEqual([1, 120]);
      expect([...(await execs.open(b.Id)).detachKeys]).toEqual([16, 17]);
      ea.run();
      expect(resize).toHaveBeenCalledWith(30, 90);
      expect(execs.inspect(a.Id).DetachKeys).toBe('ctrl-a,x');
    });
  });

  describe('resize', () => {
    it('keeps a size asked for before the process runs and applies it at start', async () => {
      const { Id } = await execs.create('box', { Cmd: ['sh'], Tty: true });
      const ex = await execs.open(Id);
      const resize = jest.spyOn(ex.session, 'resize');
      await execs.resize(Id, 30, 100);
      expect(resize).not.toHaveBeenCalled();
      ex.run();
      expect(resize).toHaveBeenCalledWith(30, 100);
    });

    it('rejects a bad size and answers NotFound for an unknown exec', async () => {
      const { Id } = await execs.create('box', { Cmd: ['sh'], Tty: true });
      await expect(execs.resize(Id, -1, 80)).rejects.toMatchObject({ kind: 'invalid-parameter' });
      await expect(execs.resize('nope', 24, 80)).rejects.toMatchObject({ kind: 'not-found' });
    });
  });
});

describe('execFailureCode: dockerd\'s exit code for an exec the runtime could not start', () => {
  const msg = (cmd: string, why: string) => `OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": ${why}: unknown`;
  it.each([
    ['nosuch', msg('nosuch', 'executable file not found in $PATH'), 127],
    ['/nosuch', msg('/nosuch', 'stat /nosuch: no such file or directory'), 127],
    ['/etc', msg('/etc', 'permission denied'), 126],
    ['/etc/hostname', msg('/etc/hostname', 'permission denied'), 126],
    ['/tmp/f/x', msg('/tmp/f/x', 'stat /tmp/f/x: not a directory'), 127],
    // a missing file the error does not name (a script's interpreter) is not "command not found"
    ['/x.sh', 'OCI runtime exec failed: runc: no such file or directory: unknown', 126],
    ['sh', 'OCI runtime exec failed: container not found: unknown', 126],
  ])('%s: %s -> %d', (cmd, message, code) => {
    expect(execFailureCode(cmd, message)).toBe(code);
  });
});
