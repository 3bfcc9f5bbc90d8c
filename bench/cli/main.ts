// netctl start-up: wall time of `node dist/cli/netctl.js network ls -q` against `node -e 0`,
// measured alternately in the same run (median of RUNS each). Target: ratio ≤ 1.3.
// Talks to the daemon at NETD_HOST if set; otherwise starts a stub on a temp unix socket that
// answers GET /v1.47/networks with [] (said so in the output).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = 30;
const WARMUP = 3;
const root = process.cwd();
const netctl = join(root, 'dist/cli/netctl.js');

function time(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (!existsSync(netctl)) {
    console.log('building dist/cli/netctl.js (node apps/cli/build.mjs)');
    const code = await new Promise((resolve) => spawn(process.execPath, [join(root, 'apps/cli/build.mjs')], { stdio: 'inherit' }).on('exit', resolve));
    if (code !== 0) throw new Error('build failed');
  }
  let host = process.env.NETD_HOST;
  let dir: string | undefined;
  const server = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(req.url?.startsWith('/v1.47/networks') ? '[]' : '{"message":"not found"}');
  });
  if (!host) {
    dir = mkdtempSync(join(tmpdir(), 'netctl-bench-'));
    const sock = join(dir, 'stub.sock');
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    host = `unix://${sock}`;
    console.log(`daemon: stub on ${host} answering GET /v1.47/networks with [] (set NETD_HOST to use a real netd)`);
  } else {
    console.log(`daemon: ${host}`);
  }
  try {
    const env = { ...process.env, NETD_HOST: host };
    const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`code cache: ${existsSync(`${netctl.replace(/netctl\.js$/, 'netctl-main.js')}.cache`) ? 'present' : 'absent'}; load average before: ${load()}`);
    const base: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < RUNS + WARMUP; i++) {
      const b = await time(['-e', '0'], env);
      const c = await time([netctl, 'network', 'ls', '-q'], env);
      if (i >= WARMUP) {
        base.push(b);
        cli.push(c);
      }
    }
    const mb = median(base);
    const mc = median(cli);
    console.log(`node -e 0:                 median ${mb.toFixed(1)} ms (${RUNS} runs)`);
    console.log(`netctl network ls -q:      median ${mc.toFixed(1)} ms (${RUNS} runs)`);
    console.log(`load average after: ${load()} (the machine is shared: a high load inflates the ratio)`);
    console.log(`ratio: ${(mc / mb).toFixed(2)}x (target <= 1.30x) ${mc / mb <= 1.3 ? 'OK' : 'OVER TARGET'}`);
  } finally {
    server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
