import { type ChildProcess, spawn } from 'node:child_process';
import { dirname } from 'node:path';
import type { TempNetns } from '@app/kernel/testing';

/** A HyperDHT address as hyperdht prints and takes it. */
export interface DhtAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * A private HyperDHT testnet for e2e runs: `size` non-ephemeral, non-firewalled DHT nodes in their
 * own process inside a namespace (the segment's bridge namespace), every one bound to one address
 * there and bootstrapped only from the first. Nothing in it knows the public bootstrap nodes: an
 * explicit bootstrap list (here `[]` for the first node) is what keeps hyperdht off them.
 */
export interface DhtTestnet {
  /** The list to hand to every netd (`cluster.bootstrap` in daemon.json). */
  readonly bootstrap: readonly DhtAddress[];
  /** Every address any testnet node is bound to or bootstraps from. */
  readonly addresses: readonly DhtAddress[];
  readonly pid: number;
  stop(): Promise<void>;
}

// Runs inside the namespace; prints one JSON line once every node is bootstrapped.
const SCRIPT = `
const DHT = require(process.env.HYPERDHT);
const host = process.env.DHT_HOST, size = Number(process.env.DHT_SIZE);
(async () => {
  const nodes = [];
  const bootstrap = [];
  for (let i = 0; i < size; i++) {
    const node = new DHT({ ephemeral: false, firewalled: false, bootstrap: [...bootstrap], host, port: 0 });
    await node.fullyBootstrapped();
    if (i === 0) bootstrap.push({ host, port: node.address().port });
    nodes.push(node);
  }
  const addresses = [];
  for (const n of nodes) addresses.push(n.address(), ...n.bootstrapNodes);
  process.stdout.write(JSON.stringify({ bootstrap, addresses }) + '\\n');
  process.on('SIGTERM', async () => { for (const n of nodes) await n.destroy().catch(() => {}); process.exit(0); });
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

const START_TIMEOUT_MS = 20_000;

/**
 * Start the testnet inside `ns`, bound to `host` (an address of that namespace). Throws unless
 * every bootstrap entry and node address satisfies `isTestAddress` (the segment's own addresses).
 * The caller must `stop()` it (it is killed by its PID).
 */
export async function startDhtTestnet(ns: TempNetns, host: string, isTestAddress: (address: string) => boolean, size = 3): Promise<DhtTestnet> {
  const hyperdht = dirname(require.resolve('hyperdht/package.json'));
  const proc = await runInNetns(ns.ref.path, SCRIPT, { PATH: process.env.PATH, HYPERDHT: hyperdht, DHT_HOST: host, DHT_SIZE: String(size) }, 'DHT testnet', START_TIMEOUT_MS);
  try {
    const { bootstrap, addresses } = JSON.parse(proc.firstLine) as { bootstrap: DhtAddress[]; addresses: DhtAddress[] };
    if (bootstrap.length === 0) throw new Error('DHT testnet: empty bootstrap list');
    assertTestAddresses('DHT testnet', [...bootstrap, ...addresses], isTestAddress);
    return { bootstrap, addresses, pid: proc.pid, stop: proc.stop };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/**
 * `node -e script` inside the network namespace at `nsPath`, with only `env`; resolves with the
 * first line it prints (its report) once it has, and `stop()` (SIGTERM, SIGKILL after 3 s, by its
 * PID). If it exits or stays silent past `timeoutMs`, it is stopped and the error carries its stderr.
 */
export async function runInNetns(nsPath: string, script: string, env: NodeJS.ProcessEnv, what: string, timeoutMs: number): Promise<{ pid: number; firstLine: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn('nsenter', [`--net=${nsPath}`, process.execPath, '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    const killer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(killer);
  };
  try {
    const firstLine = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${what} did not report in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          resolve(out.slice(0, nl));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${what} exited with ${code}: ${stderr}`));
      });
    });
    return { pid: child.pid!, firstLine, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Throw unless every address is one of the test's own (never a public bootstrap node). */
export function assertTestAddresses(what: string, addresses: readonly DhtAddress[], isTestAddress: (address: string) => boolean): void {
  const foreign = addresses.filter((a) => !isTestAddress(a.host));
  if (foreign.length > 0) throw new Error(`${what} points outside the test: ${foreign.map((a) => `${a.host}:${a.port}`).join(', ')}`);
}
