import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';

/** A real distribution registry (Debian's docker-registry 2.8) on 127.0.0.1, owned by one test. */
export interface TestRegistry {
  host: string;
  dir: string;
  storage: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRegistry(opts: { user?: string; password?: string } = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'netd-registry-'));
  const storage = join(dir, 'storage');
  const port = await freePort();
  let auth = '';
  if (opts.user && opts.password) {
    const line = execFileSync('htpasswd', ['-Bbn', opts.user, opts.password], { timeout: 10_000 }).toString();
    writeFileSync(join(dir, 'htpasswd'), line);
    auth = `auth:\n  htpasswd:\n    realm: netd-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(join(dir, 'config.yml'), [
    'version: 0.1',
    'log:\n  level: error\n  accesslog:\n    disabled: true',
    `storage:\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true`,
    `http:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(8).toString('hex')}`,
    auth,
  ].join('\n'));
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running() && child.pid) process.kill(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
    clearTimeout(timer);
    if (running() && child.pid) process.kill(child.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await request(`http://${host}/v2/`);
      await res.body.dump();
      if (res.statusCode === 200 || res.statusCode === 401) break;
    } catch {
      /* not up yet */
    }
    if (i > 100 || !running()) {
      await stop();
      throw new Error(`docker-registry did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { host, dir, storage, stop };
}

/** Path of a blob's data file in the registry's filesystem storage. */
export function registryBlobPath(reg: TestRegistry, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(reg.storage, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}
