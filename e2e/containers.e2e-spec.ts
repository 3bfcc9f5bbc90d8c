// Containers through the docker 28 client against netd running in a test host namespace:
// run/ps/logs/exec/rm, networking modes, links, published ports, bad input, daemon restarts.
// Needs root, runc, conmon and Debian's busybox-static (the daemon seeds busybox:latest from it).
import { describeAsRoot, ipJson, nsExec } from '@app/kernel/testing';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { api } from '../apps/netd/src/testing/netd-process';
import { type DockerNetd, ok, startDockerNetd } from './support/docker-netd';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An httpd that serves `page` from an index (busybox httpd has no directory listing: 404). */
const httpd = (page: string) => ['sh', '-c', `mkdir -p /www && echo ${page} > /www/index.html && exec httpd -f -p 80 -h /www`];

/**
 * Run `argv` on a pty (as a terminal would), sized 33x101, type `line` + Enter after 1.5 s, and
 * collect everything it prints until it exits. Python's pty module: no native addon needed.
 */
function ptyDrive(argv: string[], line: string): { out: string; code: number } {
  const driver = `
import os, pty, sys, time, select, fcntl, termios, struct, json
argv = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
    os.execvp(argv[0], argv)
out = b''
def read_for(secs):
    global out
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
    return True
read_for(1.5)
os.write(fd, sys.argv[2].encode() + b'\\r')
while read_for(0.5):
    pass
for _ in range(50):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    read_for(0.1)
else:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stdout.write('\\nEXIT=%d\\n' % os.waitstatus_to_exitcode(status))
`;
  const r = spawnSync('python3', ['-c', driver, JSON.stringify(argv), line], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', env: { PATH: process.env.PATH, HOME: '/nonexistent', TERM: 'xterm' } });
  const m = /\nEXIT=(-?\d+)\n$/.exec(r.stdout);
  return { out: r.stdout + r.stderr, code: m ? Number(m[1]) : -1 };
}

describeAsRoot('containers through the docker client', () => {
  let t: DockerNetd;
  const d = (...args: string[]) => t.d(...args);
  const ipOf = (name: string, network: string) => ok(d('inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name)).trim();
  /** Kernel objects a container leaves when it is not cleaned up. */
  const leftovers = async () => {
    const netns = existsSync(t.nsDir) ? readdirSync(t.nsDir) : [];
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(t.netd.dataRoot));
    const links = await ipJson<{ ifname: string }[]>(t.host.name, ['link', 'show']);
    const veths = links.filter((l) => l.ifname.startsWith('veth'));
    // a published port's DNAT statement (`dnat ip to …`), not the static rules that match `ct status dnat`
    const dnat = (await nsExec(t.host.name, 'nft', ['list', 'ruleset'])).split('\n').filter((l) => /\bdnat (ip6? )?to\b/.test(l));
    return { netns, mounts, veths, dnat };
  };

  beforeAll(async () => {
    t = await startDockerNetd({ bridge: 'netdc0' });
  });

  afterAll(async () => {
    await t?.dispose();
  });

  // a failed test must not leave containers that make the next one's leftover checks fail
  afterEach(() => {
    const ids = d('ps', '-aq').out.split('\n').filter(Boolean);
    if (ids.length > 0) d('rm', '-f', ...ids);
  });

  it('seeds busybox:latest from /bin/busybox', () => {
    expect(ok(d('images', '--format', '{{.Repository}}:{{.Tag}}'))).toContain('busybox:latest');
  });

  it("the seeded busybox has Docker Hub busybox's sticky /tmp, /root, /home, /var and its users and groups", () => {
    const out = ok(d('run', '--rm', 'busybox', 'sh', '-c',
      'for d in /tmp /root /home /var; do ls -ld $d | cut -c1-10; done; echo x > /tmp/f && cat /tmp/f; id nobody; grep -c . /etc/group; grep ^root: /etc/passwd'));
    expect(out).toBe('drwxrwxrwt\ndrwx------\ndrwxr-xr-x\ndrwxr-xr-x\nx\nuid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n26\nroot:x:0:0:root:/root:/bin/sh\n');
  });

  it('run -d on a user network, then a foreground --rm run fetches its page by name and by IP; ps, logs, exec, inspect, rm -f', async () => {
    ok(d('network', 'create', '--subnet', '10.219.3.0/24', 'ctr-n1'));
    const id = ok(d('run', '-d', '--name', 'web', '--network', 'ctr-n1', 'busybox', ...httpd('hello-netd'))).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ip = ipOf('web', 'ctr-n1');
    expect(ip).toMatch(/^10\.219\.3\.\d+$/);
    // The scenario: wget by name through the embedded DNS (and by IP). The server may
    // still be starting, hence the retries. Never `wget -T`: Debian's busybox 1.35 wget segfaults
    // on it (a NULL store in its option parsing, on the host too), which once looked like a DNS bug.
    const page = d('run', '--rm', '--network', 'ctr-n1', 'busybox', 'sh', '-c',
      `for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://web/ && wget -qO- http://${ip}/ && exit 0; sleep 0.2; done; exit 1`);
    expect(page).toMatchObject({ rc: 0, out: 'hello-netd\nhello-netd\n' });

    const ps = ok(d('ps', '--format', '{{.Names}} {{.Status}} {{.Command}}'));
    expect(ps).toMatch(/^web Up .* "sh -c mkdir -p/m);
    expect(ok(d('ps', '-q', '--filter', 'name=web', '--filter', 'network=ctr-n1'))).toBe(`${id.slice(0, 12)}\n`);
    expect(ok(d('exec', 'web', 'cat', '/www/index.html'))).toBe('hello-netd\n');
    expect(d('exec', 'web', 'sh', '-c', 'echo oops >&2; exit 3')).toMatchObject({ rc: 3, err: 'oops\n' });
    ok(d('exec', 'web', 'sh', '-c', 'echo from-exec > /proc/1/fd/1'));
    await sleep(400);
    expect(ok(d('logs', 'web'))).toContain('from-exec');
    const [net] = JSON.parse(ok(d('network', 'inspect', 'ctr-n1')));
    expect(Object.keys(net.Containers)).toEqual([id]);
    expect(net.Containers[id]).toMatchObject({ Name: 'web', IPv4Address: `${ip}/24` });

    ok(d('rm', '-f', 'web'));
    expect(d('ps', '-aq').out).toBe('');
    expect(await leftovers()).toEqual({ netns: [], mounts: [], veths: [], dnat: [] });
    ok(d('network', 'rm', 'ctr-n1'));
  });

  it('stop releases the endpoints and start takes them again', async () => {
    ok(d('run', '-d', '--name', 'stopper', 'busybox', 'sleep', '1000'));
    expect(ipOf('stopper', 'bridge')).toMatch(/^172\.17\./);
    ok(d('stop', '-t', '1', 'stopper'));
    expect(ok(d('ps', '-a', '--format', '{{.Status}}'))).toMatch(/^Exited \(137\)/);
    const [bridge] = JSON.parse(ok(d('network', 'inspect', 'bridge')));
    expect(bridge.Containers).toEqual({});
    expect(await leftovers()).toMatchObject({ netns: [], mounts: [], veths: [] });
    ok(d('start', 'stopper'));
    expect(ipOf('stopper', 'bridge')).toMatch(/^172\.17\./);
    ok(d('rm', '-f', 'stopper'));
  });

  it('--link on the default bridge: a hosts entry and Docker\'s variables', () => {
    const id = ok(d('run', '-d', '--name', 'linked', '--expose', '80', '-e', 'SECRET=s1', 'busybox', ...httpd('linked'))).trim();
    const ip = ipOf('linked', 'bridge');
    const out = ok(d('run', '--rm', '--name', 'linker', '--link', 'linked:web', 'busybox', 'sh', '-c', 'env; cat /etc/hosts'));
    expect(out).toContain('WEB_NAME=/linker/web');
    expect(out).toContain(`WEB_PORT=tcp://${ip}:80`);
    expect(out).toContain(`WEB_PORT_80_TCP_ADDR=${ip}`);
    expect(out).toContain('WEB_PORT_80_TCP_PROTO=tcp');
    expect(out).toContain('WEB_ENV_SECRET=s1');
    expect(out).toMatch(new RegExp(`^${ip.replace(/\./g, '\\.')}\\s+web ${id.slice(0, 12)} linked$`, 'm'));
    ok(d('rm', '-f', 'linked'));
  });

  it('--network host sees the host namespace\'s interfaces; none has only lo', () => {
    const hostLinks = ok(d('run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link'));
    expect(hostLinks).toContain('netdc0');
    const noneLinks = ok(d('run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link')).trim().split('\n');
    expect(noneLinks).toHaveLength(1);
    expect(noneLinks[0]).toMatch(/^1: lo: <LOOPBACK,UP/);
  });

  it('-p 127.0.0.1:18080:80 answers from the host namespace and goes with the container', async () => {
    ok(d('run', '-d', '--name', 'pub', '-p', '127.0.0.1:18080:80', 'busybox', ...httpd('published')));
    expect(ok(d('port', 'pub'))).toContain('80/tcp -> 127.0.0.1:18080');
    let body = '';
    for (let i = 0; i < 20 && body !== 'published\n'; i++) {
      body = await nsExec(t.host.name, 'curl', ['-s', '-m', '2', 'http://127.0.0.1:18080/']).catch(() => '');
      if (body !== 'published\n') await sleep(100);
    }
    expect(body).toBe('published\n');
    ok(d('rm', '-f', 'pub'));
    expect(await leftovers()).toEqual({ netns: [], mounts: [], veths: [], dnat: [] });
  });

  it('published ports survive kill -9 and SIGTERM of the daemon; rm then removes the rule', async () => {
    ok(d('run', '-d', '--name', 'pubr', '-p', '127.0.0.1:18081:80', 'busybox', ...httpd('still-published')));
    const answers = async () => {
      let body = '';
      for (let i = 0; i < 30 && body !== 'still-published\n'; i++) {
        body = await nsExec(t.host.name, 'curl', ['-s', '-m', '2', 'http://127.0.0.1:18081/']).catch(() => '');
        if (body !== 'still-published\n') await sleep(100);
      }
      return body;
    };
    expect(await answers()).toBe('still-published\n');
    await t.netd.kill9();
    await t.restart();
    expect(await answers()).toBe('still-published\n');
    expect((await leftovers()).dnat.filter((l) => l.includes('dport 18081'))).toHaveLength(1);
    await t.netd.stop();
    await t.restart();
    expect(await answers()).toBe('still-published\n');
    expect(ok(d('port', 'pubr'))).toContain('80/tcp -> 127.0.0.1:18081');
    ok(d('rm', '-f', 'pubr'));
    expect(await nsExec(t.host.name, 'curl', ['-s', '-m', '1', 'http://127.0.0.1:18081/']).catch(() => 'refused')).toBe('refused');
    expect(await leftovers()).toEqual({ netns: [], mounts: [], veths: [], dnat: [] });
  });

  it('docker logs of a -t container that no client attached to shows what it printed on its console', () => {
    const id = ok(d('run', '-d', '-t', '--network', 'none', 'busybox', 'sh', '-c', 'echo hello-tty; echo second')).trim();
    expect(ok(d('wait', id)).trim()).toBe('0');
    // a console ends its lines with \r\n, and docker logs gives them as the console wrote them
    expect(ok(d('logs', id))).toBe('hello-tty\r\nsecond\r\n');
    ok(d('rm', id));
  });

  it('docker run -i: piped stdin reaches the container and its output comes back', () => {
    const r = spawnSync('docker', ['-H', `unix://${t.netd.socket}`, 'run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; echo done >&2; exit 4'], {
      input: 'hello\nworld\n', encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', env: { PATH: process.env.PATH, HOME: '/nonexistent' },
    });
    expect({ rc: r.status, out: r.stdout, err: r.stderr }).toEqual({ rc: 4, out: 'hello\nworld\n', err: 'done\n' });
  });

  it('docker run -it through a pty: an interactive shell, its output and its exit code; resize reaches the console', () => {
    const r = ptyDrive(['docker', '-H', `unix://${t.netd.socket}`, 'run', '-it', '--rm', 'busybox', 'sh'], 'stty size; echo hi-$((1+1)); exit 3');
    expect(r.out).toMatch(/^hi-2\r?$/m);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^33 101\r?$/m);
    expect(d('ps', '-aq').out).toBe('');
  });

  it('docker exec -it through a pty: a shell on a console, its output, its exit code; resize reaches the console', () => {
    ok(d('run', '-d', '--name', 'shellbox', 'busybox', 'sleep', '1000'));
    const r = ptyDrive(['docker', '-H', `unix://${t.netd.socket}`, 'exec', '-it', 'shellbox', 'sh'], 'stty size; echo $((6*7)); exit 3');
    expect(r.out).toMatch(/^42\r?$/m);
    expect(r.out).toMatch(/^33 101\r?$/m);
    expect(r.code).toBe(3);
  });

  it('docker exec output streams as the process writes it; -i carries piped input', async () => {
    ok(d('run', '-d', '--name', 'streamer', 'busybox', 'sleep', '1000'));
    const child = spawn('docker', ['-H', `unix://${t.netd.socket}`, 'exec', 'streamer', 'sh', '-c', 'echo a; sleep 2; echo b'], { env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    const seen: { line: string; at: number }[] = [];
    let buf = '';
    child.stdout.on('data', (c: Buffer) => {
      buf += c.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        seen.push({ line: buf.slice(0, nl), at: Date.now() });
        buf = buf.slice(nl + 1);
      }
    });
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(code).toBe(0);
    expect(seen.map((x) => x.line)).toEqual(['a', 'b']);
    expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(1500);
    // -i: piped input reaches the exec'd process, its end closes the process's stdin
    const piped = spawnSync('docker', ['-H', `unix://${t.netd.socket}`, 'exec', '-i', 'streamer', 'sh', '-c', 'cat; echo done >&2; exit 4'], {
      input: 'x\ny\n', encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', env: { PATH: process.env.PATH, HOME: '/nonexistent' },
    });
    expect({ rc: piped.status, out: piped.stdout, err: piped.stderr }).toEqual({ rc: 4, out: 'x\ny\n', err: 'done\n' });
    // a program that is not there: Docker's message and 127
    const missing = d('exec', 'streamer', 'nosuchcmd');
    expect(missing.rc).toBe(127);
    expect(missing.out + missing.err).toContain('OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH');
  });

  it('bad input gets Docker\'s errors and leaves nothing behind', async () => {
    ok(d('network', 'create', '--subnet', '10.219.4.0/24', '--gateway', '10.219.4.1', 'ctr-bad'));
    const missing = await api(t.netd.socket, 'POST', '/v1.47/containers/create', { Image: 'nosuchimage', Cmd: ['true'] });
    expect(missing).toMatchObject({ status: 404, body: { message: 'No such image: nosuchimage:latest' } });
    expect(d('run', '--name', 'bad name!', 'busybox', 'true').err).toContain('Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
    expect(d('run', '--network', 'ctr-bad', '--ip', '10.219.9.5', 'busybox', 'true').err)
      .toContain('Invalid address 10.219.9.5: It does not belong to any of this network\'s subnets.');
    expect(d('run', '--network', 'ctr-bad', '--ip', '10.219.4.1', 'busybox', 'true').err).toContain('Address already in use.');
    expect(d('run', '--network', 'missing-net', 'busybox', 'true').err).toContain('network missing-net not found');
    const hostP = d('run', '--rm', '--network', 'host', '-p', '8080:80', 'busybox', 'true');
    expect(hostP.rc).toBe(0);
    expect(hostP.err).toContain('WARNING: Published ports are discarded when using host network mode');
    expect(d('ps', '-aq').out).toBe('');

    ok(d('create', '--name', 'isolated', '--network', 'none', 'busybox', 'sleep', '100'));
    expect(d('network', 'connect', 'ctr-bad', 'isolated').err)
      .toContain('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    ok(d('rm', 'isolated'));
    expect(d('ps', '-aq').out).toBe('');
    expect(await leftovers()).toEqual({ netns: [], mounts: [], veths: [], dnat: [] });
    ok(d('network', 'rm', 'ctr-bad'));
  });

  it('network connect/disconnect on a running container changes its interfaces and hosts at once', () => {
    ok(d('network', 'create', '--subnet', '10.219.5.0/24', 'ctr-n2'));
    ok(d('run', '-d', '--name', 'multi', 'busybox', 'sleep', '1000'));
    ok(d('network', 'connect', '--ip', '10.219.5.9', 'ctr-n2', 'multi'));
    expect(ok(d('exec', 'multi', 'ip', '-o', '-4', 'addr', 'show', 'eth1'))).toContain('10.219.5.9/24');
    expect(ok(d('exec', 'multi', 'cat', '/etc/hosts'))).toContain('10.219.5.9');
    ok(d('network', 'disconnect', 'ctr-n2', 'multi'));
    expect(d('exec', 'multi', 'ip', 'link', 'show', 'eth1').rc).not.toBe(0);
    expect(ok(d('exec', 'multi', 'cat', '/etc/hosts'))).not.toContain('10.219.5.9');
    ok(d('rm', '-f', 'multi'));
    ok(d('network', 'rm', 'ctr-n2'));
  });

  it('survives kill -9 of the daemon: 20 containers keep running and answering, logs continue, an exit meanwhile is recorded', async () => {
    ok(d('network', 'create', '--subnet', '10.219.6.0/24', 'ctr-r'));
    const running = Array.from({ length: 20 }, (_, i) => `r${i}`);
    const names = [...running, 'rvictim'];
    for (const n of names) {
      ok(d('run', '-d', '--name', n, '--network', 'ctr-r', 'busybox', 'sh', '-c',
        `mkdir -p /www && echo ${n} > /www/index.html && httpd -p 80 -h /www && i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done`));
    }
    const ips = Object.fromEntries(names.map((n) => [n, ipOf(n, 'ctr-r')]));
    const victimPid = Number(ok(d('inspect', '--format', '{{.State.Pid}}', 'rvictim')).trim());
    await t.netd.kill9();
    process.kill(victimPid, 'SIGKILL');
    await sleep(500);
    await t.restart();
    const status = ok(d('ps', '-a', '--format', '{{.Names}} {{.Status}}'));
    for (const n of running) expect(status).toMatch(new RegExp(`^${n} Up `, 'm'));
    expect(status).toMatch(/^rvictim Exited \(137\)/m);
    for (const n of running) {
      expect(await nsExec(t.host.name, 'curl', ['-s', '-m', '2', `http://${ips[n]}/`])).toBe(`${n}\n`);
    }
    const ticks = (n: string) => Number(ok(d('logs', '--tail', '1', n)).split(' ')[1]);
    const before = [ticks('r0'), ticks('r19')];
    await sleep(600);
    expect(ticks('r0')).toBeGreaterThan(before[0]);
    expect(ticks('r19')).toBeGreaterThan(before[1]);
    ok(d('rm', '-f', ...names));
    ok(d('network', 'rm', 'ctr-r'));
    expect(await leftovers()).toEqual({ netns: [], mounts: [], veths: [], dnat: [] });
    expect(existsSync(`${t.netd.dataRoot}/containers`) ? readdirSync(`${t.netd.dataRoot}/containers`) : []).toEqual([]);
  });
});
