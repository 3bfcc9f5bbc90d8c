import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';

async function daemon(): Promise<FakeNetdClient> {
  const fake = new FakeNetdClient();
  await fake.createVolume({ Name: 'web10', Labels: { tier: 'front' } });
  await fake.createVolume({ Name: 'web9' });
  await fake.createVolume({ Name: 'anon1', Labels: { 'com.docker.volume.anonymous': '' } });
  return fake;
}

describe('volume create', () => {
  it('sends what the docker CLI sends and prints the name', async () => {
    const fake = new FakeNetdClient();
    expect(await runNetctl(['volume', 'create', '--label', 'a=b', '-o', 'k=v', 'data'], fake)).toEqual({ code: 0, stdout: 'data\n', stderr: '' });
    expect(fake.requests.at(-1)).toEqual({ method: 'createVolume', body: { Driver: 'local', DriverOpts: { k: 'v' }, Labels: { a: 'b' }, Name: 'data' } });
  });

  it('takes --name, refuses it together with a positional name (125)', async () => {
    const fake = new FakeNetdClient();
    expect((await runNetctl(['volume', 'create', '--name', 'n1'], fake)).stdout).toBe('n1\n');
    const r = await runNetctl(['volume', 'create', '--name', 'n1', 'n2'], fake);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('conflicting options: either specify --name or provide positional arg, not both');
  });

  it('prints a generated name when none is given', async () => {
    expect((await runNetctl(['volume', 'create'], new FakeNetdClient())).stdout).toMatch(/^[0-9a-f]{64}\n$/);
  });

  it("prints the daemon's refusal", async () => {
    expect(await runNetctl(['volume', 'create', '-d', 'nfs', 'x1'], new FakeNetdClient())).toEqual({
      code: 1, stdout: '', stderr: 'Error response from daemon: create x1: error looking up volume plugin nfs: plugin "nfs" not found\n',
    });
  });
});

describe('volume ls', () => {
  it("prints docker's table sorted by name in natural order", async () => {
    expect(await runNetctl(['volume', 'ls'], await daemon())).toEqual({
      code: 0, stderr: '', stdout: 'DRIVER    VOLUME NAME\nlocal     anon1\nlocal     web9\nlocal     web10\n',
    });
  });

  it('-q prints names, -f filters on the daemon', async () => {
    const fake = await daemon();
    expect((await runNetctl(['volume', 'ls', '-q', '-f', 'label=tier'], fake)).stdout).toBe('web10\n');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'listVolumes', filters: { label: ['tier'] } });
  });

  it('formats templates and json like docker', async () => {
    const fake = await daemon();
    expect((await runNetctl(['volume', 'ls', '--format', '{{.Name}} {{.Labels}} {{.Label "tier"}}'], fake)).stdout).toBe('anon1 com.docker.volume.anonymous= \nweb9  \nweb10 tier=front front\n');
    const json = (await runNetctl(['volume', 'ls', '-f', 'name=web9', '--format', 'json'], fake)).stdout;
    expect(json).toBe('{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"","Links":"N/A","Mountpoint":"/var/lib/netd/volumes/web9/_data","Name":"web9","Scope":"local","Size":"N/A","Status":"N/A"}\n');
    expect((await runNetctl(['volume', 'ls', '--format', 'table {{.Name}}\t{{.Scope}}'], fake)).stdout.split('\n')[0]).toBe('VOLUME NAME   SCOPE');
  });

  it('refuses a filter without = (125)', async () => {
    expect((await runNetctl(['volume', 'ls', '-f', 'dangling'], new FakeNetdClient())).code).toBe(125);
  });
});

describe('volume inspect', () => {
  it('prints a JSON array indented as docker does, and errors after it', async () => {
    const r = await runNetctl(['volume', 'inspect', 'web9', 'nope'], await daemon());
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ Name: 'web9', Driver: 'local', Labels: null, Options: null, Scope: 'local' })]);
    expect(r.stdout).toContain('\n        "Driver": "local",\n');
    expect(r.stderr).toBe('Error response from daemon: get nope: no such volume\n');
  });

  it('runs a template per volume', async () => {
    expect((await runNetctl(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'web9'], await daemon())).stdout).toBe('/var/lib/netd/volumes/web9/_data\n');
  });
});

describe('volume rm', () => {
  it('prints the names it removed and the errors after them', async () => {
    const fake = await daemon();
    fake.volumeUsers.set('web10', ['c1']);
    expect(await runNetctl(['volume', 'rm', 'nope', 'web9', 'web10'], fake)).toEqual({
      code: 1, stdout: 'web9\n', stderr: 'Error response from daemon: get nope: no such volume\nError response from daemon: remove web10: volume is in use - [c1]\n',
    });
    expect(await runNetctl(['volume', 'rm', '-f', 'nope'], fake)).toEqual({ code: 0, stdout: 'nope\n', stderr: '' });
  });
});

describe('volume prune', () => {
  it('asks first, and a no cancels', async () => {
    const fake = await daemon();
    const r = await runNetctl(['volume', 'prune'], fake, { stdin: ['n'] });
    expect(r).toEqual({ code: 0, stderr: '', stdout: 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ' });
    expect(fake.volumes).toHaveLength(3);
  });

  it('-f removes anonymous volumes only, -a all unused ones', async () => {
    const fake = await daemon();
    expect((await runNetctl(['volume', 'prune', '-f'], fake)).stdout).toBe('Deleted Volumes:\nanon1\n\nTotal reclaimed space: 0B\n');
    expect(fake.requests.at(-1)).toMatchObject({ filters: {} });
    expect((await runNetctl(['volume', 'prune', '-f', '-a', '--filter', 'label=tier'], fake)).stdout).toBe('Deleted Volumes:\nweb10\n\nTotal reclaimed space: 0B\n');
    expect(fake.requests.at(-1)).toMatchObject({ filters: { label: ['tier'], all: ['true'] } });
    expect((await runNetctl(['volume', 'prune', '-f'], fake)).stdout).toBe('Total reclaimed space: 0B\n');
  });
});
