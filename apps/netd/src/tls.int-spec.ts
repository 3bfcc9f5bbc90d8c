import { createTempNetns, describeAsRoot, run, TempNetns } from '@app/kernel/testing';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request } from 'node:https';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetdProcess, removeDir, startNetd } from './testing/netd-process';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A CA with a server (127.0.0.1) and a client certificate, plus a second CA's client cert. */
async function makePki(dir: string): Promise<void> {
  const ssl = (...args: string[]) => run('openssl', args);
  const ca = async (name: string) => {
    await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}-key.pem`), '-out', join(dir, `${name}.pem`));
  };
  const leaf = async (name: string, caName: string, ext: string) => {
    writeFileSync(join(dir, `${name}.ext`), ext);
    await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', join(dir, `${name}-key.pem`), '-out', join(dir, `${name}.csr`));
    await ssl('x509', '-req', '-in', join(dir, `${name}.csr`), '-CA', join(dir, `${caName}.pem`), '-CAkey', join(dir, `${caName}-key.pem`),
      '-CAcreateserial', '-days', '1', '-extfile', join(dir, `${name}.ext`), '-out', join(dir, `${name}.pem`));
  };
  await ca('ca');
  await ca('rogue-ca');
  await leaf('server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await leaf('client', 'ca', 'extendedKeyUsage=clientAuth\n');
  await leaf('rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
}

function get(port: number, dir: string, client?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/_ping',
        ca: readFileSync(join(dir, 'ca.pem')),
        ...(client ? { cert: readFileSync(join(dir, `${client}.pem`)), key: readFileSync(join(dir, `${client}-key.pem`)) } : {}),
        timeout: 5000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describeAsRoot('TCP listeners and mutual TLS', () => {
  let host: TempNetns;
  let pki: string;
  const daemons: NetdProcess[] = [];

  beforeAll(async () => {
    host = await createTempNetns();
    pki = mkdtempSync(join(tmpdir(), 'netd-t-pki-'));
    await makePki(pki);
  }, 60_000);

  afterAll(async () => {
    for (const d of daemons) {
      await d.kill9();
      removeDir(d.dir);
    }
    await host?.dispose();
    removeDir(pki);
  });

  it('serves a client with a certificate of its CA and refuses others', async () => {
    const port = await freePort();
    const netd = await startNetd({
      hostNetns: host.ref.path,
      extraArgs: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(pki, 'ca.pem'),
        '--tlscert', join(pki, 'server.pem'), '--tlskey', join(pki, 'server-key.pem')],
    });
    daemons.push(netd);
    expect(await get(port, pki, 'client')).toBe(200);
    await expect(get(port, pki)).rejects.toThrow();
    await expect(get(port, pki, 'rogue')).rejects.toThrow();
  });

  it.each([
    ['plaintext TCP on a non-loopback address', ['-H', 'tcp://0.0.0.0:23750', '--insecure-tcp'], '--insecure-tcp is allowed only on a loopback address'],
    ['plaintext TCP without --insecure-tcp', ['-H', 'tcp://127.0.0.1:23751'], 'plaintext TCP is refused'],
    ['--tlsverify without certificates', ['-H', 'tcp://0.0.0.0:23752', '--tlsverify'], '--tlsverify needs "tlscacert"'],
  ])('refuses to start with %s', async (_name, args, message) => {
    const netd = await startNetd({ hostNetns: host.ref.path, extraArgs: args, expectFailure: true });
    daemons.push(netd);
    expect(await netd.exited).toBe(2);
    expect(netd.logs()).toContain(message);
  });

  it('allows plaintext TCP on loopback with --insecure-tcp, and warns', async () => {
    const port = await freePort();
    const netd = await startNetd({ hostNetns: host.ref.path, extraArgs: ['-H', `tcp://127.0.0.1:${port}`, '--insecure-tcp'] });
    daemons.push(netd);
    expect(netd.logs()).toMatch(/"level":40.*plaintext TCP/);
    const status = await new Promise<number>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path: '/v1.47/_ping' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(200);
  });
});
