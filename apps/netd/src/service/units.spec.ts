import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installService } from './install-service';
import { serviceUnit, socketUnit } from './units';
import { sockaddrUn } from './sd-notify';

describe('systemd units', () => {
  it('netd.service: notify, socket-activated, process kill mode, delegation, reload by SIGHUP', () => {
    const unit = serviceUnit({ node: '/usr/bin/node', script: '/usr/lib/node_modules/netd/dist/apps/netd/src/main.js', args: ['--log-level', 'debug', 'a b'] });
    for (const line of ['Type=notify', 'KillMode=process', 'Delegate=yes', 'ExecReload=/bin/kill -HUP $MAINPID', 'LimitNOFILE=1048576', 'Requires=netd.socket', 'WatchdogSec=60']) {
      expect(unit).toContain(`\n${line}\n`);
    }
    expect(unit).toContain('\nExecStart=/usr/bin/node /usr/lib/node_modules/netd/dist/apps/netd/src/main.js -H fd:// --log-level debug "a b"\n');
  });

  it('netd.socket listens on the API socket', () => {
    expect(socketUnit()).toContain('\nListenStream=/run/netd/netd.sock\nSocketMode=0660\n');
    expect(socketUnit({ socket: '/run/x.sock' })).toContain('\nListenStream=/run/x.sock\n');
  });

  it('netd install-service writes both units into --unit-dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netd-units-'));
    try {
      const out: string[] = [];
      expect(installService(['--unit-dir', dir, '--', '--dns-resolver', 'inline'], (s) => out.push(s))).toBe(0);
      const service = readFileSync(join(dir, 'netd.service'), 'utf8');
      expect(service).toMatch(/\nExecStart=\S+ \S+ -H fd:\/\/ --dns-resolver inline\n/);
      expect(readFileSync(join(dir, 'netd.socket'), 'utf8')).toContain('ListenStream=/run/netd/netd.sock');
      expect(statSync(join(dir, 'netd.service')).mode & 0o777).toBe(0o644);
      expect(out.join('')).toContain('systemctl daemon-reload');
      // systemd's own parser (Debian's systemd package) reports any key it would ignore
      const verify = spawnSync('systemd-analyze', ['verify', join(dir, 'netd.socket'), join(dir, 'netd.service')], { encoding: 'utf8', timeout: 30_000 });
      expect({ status: verify.status, stderr: verify.stderr, error: verify.error?.message }).toEqual({ status: 0, stderr: '', error: undefined });
      expect(installService(['--unit-dir', dir, '--socket', 'relative'], () => undefined)).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sockaddrUn', () => {
  it('encodes a path with its NUL and an abstract name without one', () => {
    const p = sockaddrUn('/run/systemd/notify');
    expect(p.len).toBe(2 + '/run/systemd/notify'.length + 1);
    expect(p.addr.readUInt16LE(0)).toBe(1);
    expect(p.addr.subarray(2, p.len - 1).toString()).toBe('/run/systemd/notify');
    const a = sockaddrUn('@netd-test');
    expect(a.len).toBe(2 + 1 + 'netd-test'.length);
    expect(a.addr[2]).toBe(0);
    expect(a.addr.subarray(3, a.len).toString()).toBe('netd-test');
    expect(() => sockaddrUn(`/${'x'.repeat(120)}`)).toThrow(/invalid NOTIFY_SOCKET/);
  });
});
