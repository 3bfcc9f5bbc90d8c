import { spawn } from 'node:child_process';

/**
 * Queries per second dnsperf reaches against `server:port` for `seconds`, inside namespace `ns`
 * when given. It runs asynchronously: the server under test may live in this process's event loop.
 */
export async function dnsperf(server: string, port: number, queryFile: string, seconds: number, ns?: string): Promise<number> {
  const args = ['-s', server, '-p', String(port), '-d', queryFile, '-l', String(seconds), '-c', '4', '-q', '200'];
  const [cmd, argv] = ns ? ['ip', ['netns', 'exec', ns, 'dnsperf', ...args]] : ['dnsperf', args];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: (seconds + 20) * 1000 });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  await new Promise((res) => child.on('close', res));
  const m = /Queries per second:\s+([\d.]+)/.exec(out);
  if (!m) throw new Error(`dnsperf failed: ${out}`);
  return Number(m[1]);
}
