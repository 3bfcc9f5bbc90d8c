import { createTempNetns, describeAsRoot, TempNetns } from '@app/kernel/testing';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { jsonBytes, packLayer, sha256 } from '@app/image';
import { paxEntry, rawTar } from '@app/image/testing/hostile-tar';
import { api, NetdProcess, removeDir, startNetd } from '../testing/netd-process';
import { eventually } from '@app/common/testing';

const TAR = { 'content-type': 'application/x-tar' };
const SECRET = 'host-secret-7c1d9e';

/** Every file of the image store with its size: what a refused request must leave as it was. */
function storeFiles(dataRoot: string): string[] {
  const root = join(dataRoot, 'image');
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${relative(root, p)} ${st.size}${name.endsWith('.json') ? ` ${readFileSync(p, 'utf8')}` : ''}`);
    }
  };
  walk(root);
  return out;
}

const buildDirs = (dataRoot: string) => (existsSync(join(dataRoot, 'image', 'tmp')) ? readdirSync(join(dataRoot, 'image', 'tmp')) : []);

/** Start a tar upload that sends `head` and then stalls; returns a function that cuts the connection. */
function stalledUpload(socket: string, path: string, head: Buffer): { cut: () => void; answered: Promise<number> } {
  const req = request({ socketPath: socket, path, method: 'POST', headers: { ...TAR, 'content-length': 10 * 1024 * 1024 } });
  const answered = new Promise<number>((resolve) => {
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('error', () => resolve(0));
  });
  req.write(head);
  return { cut: () => req.destroy(), answered };
}

describeAsRoot('hostile image uploads against a real daemon', () => {
  let host: TempNetns;
  let netd: NetdProcess;

  beforeAll(async () => {
    host = await createTempNetns();
    netd = await startNetd({ hostNetns: host.ref.path });
    writeFileSync(join(netd.dir, 'secret'), SECRET);
    writeFileSync(join(netd.dir, 'Dockerfile'), `FROM scratch\nLABEL leaked=${SECRET}\n`);
    // one image the refused requests must leave alone
    const layer = (await packLayer([{ path: 'kept', type: 'file', data: Buffer.from('k') }])).tar;
    const ok = await api(netd.socket, 'POST', '/images/load', goodArchive(layer, 'kept:1'), TAR);
    expect(ok.status).toBe(200);
  });

  afterAll(async () => {
    await netd?.kill9();
    await host?.dispose();
    if (netd) removeDir(netd.dir);
  });

  function goodArchive(layer: Buffer, tag: string): Buffer {
    return rawTar([
      { name: 'layer.tar', data: layer },
      { name: 'config.json', data: jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }) },
      { name: 'manifest.json', data: jsonBytes([{ Config: 'config.json', RepoTags: [tag], Layers: ['layer.tar'] }]) },
    ]);
  }

  it('answers a build context whose file claims 8 GiB and ends after 100 bytes with a 400 at once, and removes its directory', async () => {
    const before = storeFiles(netd.dataRoot);
    const started = Date.now();
    const res = await api(netd.socket, 'POST', '/build?t=big:1', rawTar([{ name: 'Dockerfile', size: 8 * 1024 ** 3, data: Buffer.alloc(100, 65) }], false), TAR);
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { message: 'unexpected EOF' } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(buildDirs(netd.dataRoot)).toEqual([]);
    expect(storeFiles(netd.dataRoot)).toEqual(before);
  });

  it.each([
    { name: 'a Dockerfile symlink to a host Dockerfile', entries: () => [{ name: 'Dockerfile', type: '2', linkname: join(netd.dir, 'Dockerfile') }] },
    { name: 'a Dockerfile symlink to a host file', entries: () => [{ name: 'Dockerfile', type: '2', linkname: join(netd.dir, 'secret') }] },
    { name: 'a Dockerfile symlink climbing out', entries: () => [{ name: 'Dockerfile', type: '2', linkname: `../../../../../../..${join(netd.dir, 'secret')}` }] },
    { name: 'a Dockerfile symlink to /etc/hostname', entries: () => [{ name: 'Dockerfile', type: '2', linkname: '/etc/hostname' }] },
  ])('never builds from or echoes a host file through $name', async ({ entries }) => {
    const before = storeFiles(netd.dataRoot);
    const res = await api(netd.socket, 'POST', '/build?t=leak:1', rawTar(entries()), TAR);
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('failed to read dockerfile: open Dockerfile: no such file or directory');
    expect(res.text).not.toContain(SECRET);
    expect(storeFiles(netd.dataRoot)).toEqual(before);
    expect(buildDirs(netd.dataRoot)).toEqual([]);
  });

  it('copies through a symlinked directory of the context from inside the context, never the host', async () => {
    const res = await api(netd.socket, 'POST', '/build?t=inside:1', rawTar([
      { name: 'Dockerfile', data: Buffer.from('FROM scratch\nCOPY d/secret /s\n') },
      { name: 'd', type: '2', linkname: netd.dir },
      { name: `${netd.dir.slice(1)}/secret`, data: Buffer.from('inside') },
    ]), TAR);
    // a build that fails after its first step answers 200 with an errorDetail line, as Docker's does
    expect({ status: res.status, errors: res.text.split('\n').filter((l) => l.includes('errorDetail')) }).toEqual({ status: 200, errors: [] });
    const saved = await api(netd.socket, 'GET', '/images/inside:1/get');
    expect(saved.status).toBe(200);
    expect(saved.text).toContain('inside');
    expect(saved.text).not.toContain(SECRET);
  });

  it('removes the build directory when the client goes away mid-upload', async () => {
    const upload = stalledUpload(netd.socket, '/build?t=cut:1', rawTar([{ name: 'Dockerfile', size: 5 * 1024 * 1024, data: Buffer.alloc(4096, 65) }], false));
    await eventually('the build directory appears', () => buildDirs(netd.dataRoot).length === 1);
    upload.cut();
    await eventually('the build directory is removed', () => buildDirs(netd.dataRoot).length === 0);
    expect((await api(netd.socket, 'GET', '/_ping')).status).toBe(200);
  });

  const layer = async (files: Parameters<typeof packLayer>[0]) => (await packLayer(files)).tar;
  it.each([
    { name: 'a bad tar checksum', tar: async () => { const t = goodArchive(await layer([]), 'x:1'); t[3] ^= 1; return t; }, message: 'archive/tar: invalid tar header' },
    { name: 'a truncated archive', tar: async () => goodArchive(await layer([]), 'x:1').subarray(0, 1500), message: 'unexpected EOF' },
    { name: 'a 10 MB pax header', tar: async () => rawTar([paxEntry({ comment: 'x'.repeat(10 * 1024 * 1024) }), { name: 'a', data: Buffer.from('a') }]), message: 'archive/tar: header exceeds the 4 MiB limit' },
    { name: 'manifest.json an object', tar: async () => rawTar([{ name: 'manifest.json', data: Buffer.from('{"Config":"c"}') }]), message: 'invalid docker archive: manifest.json: json: cannot unmarshal object into Go value of type []tarexport.manifestItem' },
    { name: 'a Config path with ..', tar: async () => rawTar([{ name: 'manifest.json', data: jsonBytes([{ Config: '../../../etc/passwd', Layers: [] }]) }]), message: 'invalid docker archive: manifest.json: invalid path "../../../etc/passwd" in entry 0 Config' },
    { name: 'a layer symlink to a host file', tar: async () => rawTar([
      { name: 'l.tar', type: '2', linkname: join(netd.dir, 'secret') },
      { name: 'config.json', data: jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(SECRET)] } }) },
      { name: 'manifest.json', data: jsonBytes([{ Config: 'config.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]) },
    ]), message: 'invalid docker archive: l.tar is missing' },
    { name: 'a hardlink to an absolute target', tar: async () => rawTar([{ name: 'hl', type: '1', linkname: '/etc/passwd' }]), message: 'invalid docker archive: invalid hardlink "hl" -> "etc/passwd"' },
    { name: 'a layer whose diff id does not match', tar: async () => {
      const good = goodArchive(await layer([{ path: 'a', type: 'file', data: Buffer.from('a') }]), 'kept:1');
      const other = await layer([{ path: 'b', type: 'file', data: Buffer.from('b') }]);
      return rawTar([
        { name: 'layer.tar', data: other },
        { name: 'config.json', data: jsonBytes({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(good)] } }) },
        { name: 'manifest.json', data: jsonBytes([{ Config: 'config.json', RepoTags: ['kept:1'], Layers: ['layer.tar'] }]) },
      ]);
    }, message: /^invalid docker archive: invalid diffID for layer 0/ },
  ])('load refuses $name with a 400 and leaves the image store as it was', async ({ tar, message }) => {
    const before = storeFiles(netd.dataRoot);
    const res = await api(netd.socket, 'POST', '/images/load', await tar(), TAR);
    expect(res.status).toBe(400);
    expect(res.body.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    expect(res.text).not.toContain(SECRET);
    expect(storeFiles(netd.dataRoot)).toEqual(before);
  });

  it('import refuses a truncated rootfs with a 400 and leaves the image store as it was', async () => {
    const before = storeFiles(netd.dataRoot);
    const tar = (await layer([{ path: 'a', type: 'file', data: Buffer.alloc(5000, 1) }])).subarray(0, 3000);
    const res = await api(netd.socket, 'POST', '/images/create?fromSrc=-&repo=imp', tar, { 'content-type': 'text/plain' });
    expect({ status: res.status, body: res.body }).toEqual({ status: 400, body: { message: 'unexpected EOF' } });
    expect(storeFiles(netd.dataRoot)).toEqual(before);
  });

  it('removes build directories of uploads in flight when the daemon is killed, on the next start', async () => {
    const upload = stalledUpload(netd.socket, '/build?t=killed:1', rawTar([{ name: 'Dockerfile', size: 5 * 1024 * 1024, data: Buffer.alloc(4096, 65) }], false));
    await eventually('the build directory appears', () => buildDirs(netd.dataRoot).length === 1);
    await netd.kill9();
    upload.cut();
    expect(buildDirs(netd.dataRoot)).toHaveLength(1);
    netd = await startNetd({ hostNetns: host.ref.path, dir: netd.dir, dataRoot: netd.dataRoot });
    expect(buildDirs(netd.dataRoot)).toEqual([]);
  });

  it('removes build directories of uploads in flight when the daemon is stopped', async () => {
    const upload = stalledUpload(netd.socket, '/build?t=stopped:1', rawTar([{ name: 'Dockerfile', size: 5 * 1024 * 1024, data: Buffer.alloc(4096, 65) }], false));
    await eventually('the build directory appears', () => buildDirs(netd.dataRoot).length === 1);
    // under the listeners' 5 s grace: the stalled upload is cut, not waited for
    const code = await Promise.race([netd.stop(), new Promise((r) => setTimeout(() => r('still running'), 4000))]);
    upload.cut();
    expect(code).toBe(0);
    expect(buildDirs(netd.dataRoot)).toEqual([]);
    netd = await startNetd({ hostNetns: host.ref.path, dir: netd.dir, dataRoot: netd.dataRoot });
  }, 60_000);
});
