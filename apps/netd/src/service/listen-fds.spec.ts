import { activatedSockets, selectActivated } from './listen-fds';

describe('activatedSockets', () => {
  it('reads LISTEN_FDS from fd 3 with their names when LISTEN_PID is this process, and clears the variables', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_FDS: '2', LISTEN_PID: '42', LISTEN_FDNAMES: 'netd.socket:extra', OTHER: 'x' };
    expect(activatedSockets(env, 42)).toEqual([{ fd: 3, name: 'netd.socket' }, { fd: 4, name: 'extra' }]);
    expect(env).toEqual({ OTHER: 'x' });
  });

  it('ignores sockets meant for another process or a malformed count', () => {
    expect(activatedSockets({ LISTEN_FDS: '1', LISTEN_PID: '41' }, 42)).toEqual([]);
    expect(activatedSockets({ LISTEN_FDS: 'x', LISTEN_PID: '42' }, 42)).toEqual([]);
    expect(activatedSockets({}, 42)).toEqual([]);
  });
});

describe('selectActivated', () => {
  const passed = [{ fd: 3, name: 'netd.socket' }, { fd: 4, name: 'extra' }];
  it('takes all, one by number or by name', () => {
    expect(selectActivated('', passed)).toEqual(passed);
    expect(selectActivated('4', passed)).toEqual([passed[1]]);
    expect(selectActivated('netd.socket', passed)).toEqual([passed[0]]);
  });
  it('refuses when nothing was passed or nothing matches', () => {
    expect(() => selectActivated('', [])).toThrow(/no sockets were passed by the service manager/);
    expect(() => selectActivated('7', passed)).toThrow(/no such socket among those passed \(3=netd.socket, 4=extra\)/);
  });
});
