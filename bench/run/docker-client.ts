// `docker run -d` (user network, --network none) and `rm -f` through the docker 28 client against
// a netd started in a fresh test host namespace, next to a baseline `runc run -d` median measured
// by main.ts in the same run. Also the growth over SCALE containers on one network and the
// daemon's memory. Everything is removed at the end.
import { createTempNetns } from '@app/kernel/testing';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

export async function dockerClientBench(n: number, scale: number, baselineMs: number): Promise<void> {
  if (spawnSync('docker', ['--version']).status !== 0) {
    console.log('docker client: skipped (no docker on PATH)');
    return;
  }
  const host = await createTempNetns();
  const dir = mkdtempSync(join(tmpdir(), 'netd-bench-run-'));
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  // the bench bundle holds the daemon too: main.ts runs it when started with --daemon
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  const child = spawn(process.execPath, [...prof, process.argv[1], '--daemon', '--config-file', join(dir, 'daemon.json'), '-H', `unix://${join(dir, 'netd.sock')}`,
    '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '--host-netns', host.ref.path, '--bridge', 'netdb0', '--log-level', 'warn'],
  { stdio: ['ignore', process.env.BENCH_SPANS ? 'inherit' : 'ignore', 'inherit'] });
  const netd = { socket: join(dir, 'netd.sock'), child };
  for (let i = 0; i < 200 && !existsSync(netd.socket); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 200));
  const docker = (...args: string[]) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('docker', ['-H', `unix://${netd.socket}`, ...args], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out: r.stdout.trim() };
  };
  try {
    docker('network', 'create', '--subnet', '10.218.0.0/16', 'bench-n1');
    const user: number[] = [];
    const none: number[] = [];
    const rm: number[] = [];
    for (let i = 0; i < n; i++) {
      const a = docker('run', '-d', '--network', 'bench-n1', 'busybox', 'sleep', '1000');
      user.push(a.ms);
      const b = docker('run', '-d', '--network', 'none', 'busybox', 'sleep', '1000');
      none.push(b.ms);
      rm.push(docker('rm', '-f', a.out).ms);
      docker('rm', '-f', b.out);
    }
    const ping = docker('version').ms;
    console.log(`docker version round trip (client start-up floor): ${ping.toFixed(1)} ms`);
    for (const [name, xs] of [['run -d --network bench-n1', user], ['run -d --network none', none], ['rm -f', rm]] as const) {
      console.log(`docker ${name}, median of ${n}: ${median(xs).toFixed(1)} ms, p90 ${p90(xs).toFixed(1)} ms (${(median(xs) / baselineMs).toFixed(2)}x runc run -d; ${(median(xs) / 230).toFixed(2)}x docker 20.10's 230 ms)`);
    }
    console.log(`load average (1/5/15 min) after the runs: ${load()}`);
    // Each run is paired with a client round trip (`docker version`) made right before it: the
    // machine is shared, and the ratio run/round-trip drifts with the load far less than either.
    const times: number[] = [];
    const relative: number[] = [];
    for (let i = 0; i < scale; i++) {
      const floor = docker('version', '--format', '{{.Server.Version}}').ms;
      times.push(docker('run', '-d', '--network', 'bench-n1', 'busybox', 'sleep', '1000').ms);
      relative.push(times[i] / floor);
    }
    const k = Math.min(25, Math.floor(scale / 2));
    if (k > 0) {
      const first = median(times.slice(0, k));
      const last = median(times.slice(-k));
      console.log(`scale ${scale} on one network: first ${k} median ${first.toFixed(1)} ms (p90 ${p90(times.slice(0, k)).toFixed(1)}), last ${k} ${last.toFixed(1)} ms (p90 ${p90(times.slice(-k)).toFixed(1)}), ratio ${(last / first).toFixed(2)}; load average ${load()}`);
      console.log(`  the same, each run relative to the client round trip made just before it: ratio ${(median(relative.slice(-k)) / median(relative.slice(0, k))).toFixed(2)}`);
    }
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${netd.child.pid}/status`, 'utf8'))?.[1];
    console.log(`netd RSS with ${scale} containers: ${rss ? (Number(rss) / 1024).toFixed(1) : '?'} MiB`);
    if (process.env.BENCH_SPANS) {
      child.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    const ids = spawnSync('docker', ['-H', `unix://${netd.socket}`, 'ps', '-aq'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (let i = 0; i < ids.length; i += 50) spawnSync('docker', ['-H', `unix://${netd.socket}`, 'rm', '-f', ...ids.slice(i, i + 50)], { timeout: 120_000 });
    spawnSync('docker', ['-H', `unix://${netd.socket}`, 'network', 'rm', 'bench-n1']);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await host.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
