import type { ContainerCreateDto, HostConfigDto } from '@app/api/containers';
import { NotFoundError } from '@app/common';
import type { ContainerMount, ContainerRecord } from '@app/container';
import { ANONYMOUS_LABEL, MemoryVolumeStore, Volumes } from '@app/volume';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anonymousVolumes, planMounts, realizeMounts, type MountContext } from './mounts';

describe('planMounts and realizeMounts', () => {
  let dir: string;
  let ctx: MountContext;
  let volumes: Volumes;
  const others = new Map<string, ContainerRecord>();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'netd-mounts-'));
    const layer = join(dir, 'layer');
    mkdirSync(join(layer, 'data'), { recursive: true });
    writeFileSync(join(layer, 'data/seed'), 'from the image');
    writeFileSync(join(layer, 'file'), 'x');
    mkdirSync(join(dir, 'host'));
    volumes = new Volumes({ store: new MemoryVolumeStore(), root: join(dir, 'volumes') });
    ctx = {
      volumes,
      lowers: [layer],
      findContainer: (t) => {
        const r = others.get(t);
        if (!r) throw new NotFoundError(`No such container: ${t}`);
        return r;
      },
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const plan = (hc: Partial<HostConfigDto>, req: Partial<ContainerCreateDto> = {}, imageVolumes: string[] = []) =>
    planMounts(req as ContainerCreateDto, hc as HostConfigDto, imageVolumes, ctx);

  it('makes named and anonymous volumes, fills a new one from the image, and echoes the request', async () => {
    const p = await plan({ Binds: ['named:/data', `${join(dir, 'host')}:/h:ro`], Tmpfs: { '/t': 'size=1m' } }, { Volumes: { '/anon': {} } });
    const r = await realizeMounts(p, ctx, 'holder');
    expect(r.mounts.map((m) => [m.type, m.destination, m.mode, m.rw, m.hidden ?? false])).toEqual([
      ['volume', '/data', 'z', true, false], ['bind', '/h', 'ro', false, false], ['tmpfs', '/t', '', true, true], ['volume', '/anon', 'z', true, false],
    ]);
    expect(readFileSync(join(volumes.mountpoint('named'), 'seed'), 'utf8')).toBe('from the image');
    const anon = r.mounts[3].name!;
    expect(volumes.get(anon).labels).toEqual({ [ANONYMOUS_LABEL]: '' });
    expect(anonymousVolumes({ spec: { mounts: r.mounts } } as unknown as ContainerRecord)).toEqual([anon]);
    expect(volumes.usedBy('named')).toEqual(['holder']);
    r.release();
    expect(volumes.usedBy('named')).toEqual([]);
    expect(p.echo).toEqual({ binds: ['named:/data', `${join(dir, 'host')}:/h:ro`], tmpfs: { '/t': 'size=1m' }, volumes: ['/anon'] });
  });

  it('lets a later mount replace a --volumes-from one, and skips image volumes where something is mounted', async () => {
    const from: ContainerMount[] = [
      { type: 'volume', source: '/v/a', destination: '/data', rw: true, mode: 'z', propagation: '', name: 'a', driver: 'local' },
      { type: 'volume', source: '/v/b', destination: '/keep', rw: true, mode: 'z', propagation: '', name: 'b', driver: 'local' },
      { type: 'tmpfs', source: '', destination: '/hidden', rw: true, mode: '', propagation: '', hidden: true },
    ];
    others.set('src', { spec: { mounts: from } } as unknown as ContainerRecord);
    const p = await plan({ VolumesFrom: ['src:ro'], Binds: ['mine:/data'] }, {}, ['/keep', '/data', '/new']);
    const dests = p.planned.map((x) => (x.kind === 'copy' ? `copy ${x.mount.destination} rw=${x.mount.rw}` : `${x.point.type} ${x.point.destination} ${x.point.source}`));
    expect(dests).toEqual(['volume /data mine', 'copy /keep rw=false', 'volume /new ']);
  });

  it('checks everything before making anything', async () => {
    await expect(plan({ Binds: ['ok:/a', 'ok2:/a'] })).rejects.toMatchObject({ message: 'Duplicate mount point: /a' });
    await expect(plan({ Binds: ['ok:/t'], Tmpfs: { '/t': '' } })).rejects.toMatchObject({ message: 'Duplicate mount point: /t' });
    await expect(plan({ VolumesFrom: ['nobody'] })).rejects.toMatchObject({ kind: 'invalid-parameter', message: 'No such container: nobody' });
    await expect(plan({}, {}, ['/file'])).rejects.toMatchObject({ message: 'cannot mount volume over existing file, file exists /file' });
    await expect(plan({ Mounts: [{ Type: 'volume', Source: 'x1', Target: '/x', VolumeOptions: { DriverConfig: { Options: { type: 'nfs' } } } }] })).rejects.toMatchObject({ kind: 'not-implemented' });
    await expect(plan({ Binds: ['a/b:/x'] })).rejects.toMatchObject({ kind: 'invalid-parameter' });
    expect(volumes.list()).toEqual([]);
    expect(existsSync(join(dir, 'volumes'))).toBe(false);
  });

  it('undo removes the volumes this create made and keeps those that were there', async () => {
    await volumes.create({ name: 'old' });
    const r = await realizeMounts(await plan({ Binds: ['old:/o', 'new:/n', '/anon'] }), ctx, 'h');
    await r.undo();
    expect(volumes.list().map((v) => v.name)).toEqual(['old']);
    expect(volumes.usedBy('old')).toEqual([]);
  });

  it('fills a volume shared by two concurrent creates once', async () => {
    const [a, b] = await Promise.all([
      realizeMounts(await plan({ Binds: ['both:/data'] }), ctx, 'h1'),
      realizeMounts(await plan({ Binds: ['both:/data'] }), ctx, 'h2'),
    ]);
    expect(readdirSync(volumes.mountpoint('both'))).toEqual(['seed']);
    expect(volumes.usedBy('both').sort()).toEqual(['h1', 'h2']);
    a.release();
    b.release();
  });
});
