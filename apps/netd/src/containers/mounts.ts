import type { ContainerCreateDto, HostConfigDto } from '@app/api/containers';
import { InvalidParameterError, NotFoundError, NotImplementedError, SystemError } from '@app/common';
import type { ContainerMount, ContainerRecord, MountRequestEcho } from '@app/container';
import { copyImageDir, MergedView } from '@app/image';
import {
  ANONYMOUS_LABEL, checkVolumeName, parseBind, parseMount, parseTmpfsEntry, parseVolumesFrom, randomVolumeName, tmpfsMountOptions,
  type MountPoint, type Volumes,
} from '@app/volume';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';

export interface MountContext {
  readonly volumes: Volumes;
  /** A container by name, id or unique prefix (NotFound otherwise). */
  findContainer(ref: string): ContainerRecord;
  /** The image's layer directories, topmost first. */
  readonly lowers: readonly string[];
}

/** One mount to make: a parsed request, or a mount copied from another container (`--volumes-from`). */
type Planned =
  | { readonly kind: 'point'; readonly point: MountPoint; readonly hidden?: boolean }
  | { readonly kind: 'copy'; readonly mount: ContainerMount };

/** Everything a create asked for, checked, before anything exists. */
export interface MountPlan {
  readonly planned: readonly Planned[];
  readonly echo: MountRequestEcho;
}

const duplicate = (dest: string) => new InvalidParameterError(`Duplicate mount point: ${dest}`);

function checkDriver(driver: string | undefined): void {
  if (driver && driver !== 'local') throw new InvalidParameterError(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
}

/**
 * The mounts of a create, in dockerd's order (registerMountPoints, then the image's volumes):
 * `--volumes-from` first, which later mounts at the same destination replace; then Binds and
 * Mounts, which may not share a destination with each other or with Tmpfs; then the image's
 * and Config's VOLUMEs, skipped where something is mounted already. Reads, never writes.
 */
export async function planMounts(req: ContainerCreateDto, hc: HostConfigDto, imageVolumes: readonly string[], ctx: MountContext): Promise<MountPlan> {
  checkDriver(hc.VolumeDriver);
  const byDest = new Map<string, Planned>();
  for (const spec of hc.VolumesFrom ?? []) {
    const { container, rw } = parseVolumesFrom(spec);
    let from: ContainerRecord;
    try {
      from = ctx.findContainer(container);
    } catch (e) {
      if (e instanceof NotFoundError) throw new InvalidParameterError(e.message);
      throw e;
    }
    for (const m of from.spec.mounts ?? []) {
      if (m.hidden) continue;
      byDest.set(m.destination, { kind: 'copy', mount: { ...m, rw: m.rw && rw } });
    }
  }
  const tmpfs = Object.entries(hc.Tmpfs ?? {}).map(([dest, data]) => parseTmpfsEntry(dest, data));
  const tmpfsDests = new Set(tmpfs.map((t) => t.destination));
  const taken = new Set<string>();
  const add = (point: MountPoint, shownDest: string) => {
    if (taken.has(point.destination) || tmpfsDests.has(point.destination)) throw duplicate(shownDest);
    if (point.type === 'volume') {
      if (point.source !== '') checkVolumeName(point.source);
      checkDriver(point.driver);
      if (point.driverOptions && Object.keys(point.driverOptions).length > 0) {
        throw new NotImplementedError('VolumeOptions.DriverConfig.Options is not supported by netd (the local driver mounts no filesystems into volumes)');
      }
    }
    taken.add(point.destination);
    byDest.set(point.destination, { kind: 'point', point });
  };
  for (const b of hc.Binds ?? []) {
    const p = parseBind(b, hc.VolumeDriver);
    add(p, p.destination);
  }
  for (const m of hc.Mounts ?? []) add(parseMount(m, (p) => existsSync(p)), String((m as { Target?: unknown }).Target));
  // HostConfig.Tmpfs entries are no mount points in dockerd: inspect's Mounts leaves them out
  for (const t of tmpfs) byDest.set(t.destination, { kind: 'point', point: t, hidden: true });

  const volumes = [...new Set([...imageVolumes, ...Object.keys(req.Volumes ?? {})])];
  const view = new MergedView(ctx.lowers);
  for (const spec of volumes) {
    const p = parseBind(spec);
    if (p.type !== 'volume' || p.source !== '') throw new InvalidParameterError(`invalid volume specification: '${spec}'`);
    if (byDest.has(p.destination)) continue;
    const inImage = await view.resolve(p.destination);
    if (inImage && !inImage.stat.isDirectory()) throw new InvalidParameterError(`cannot mount volume over existing file, file exists ${p.destination}`);
    byDest.set(p.destination, { kind: 'point', point: { ...p, mode: '' } });
  }
  return {
    planned: [...byDest.values()],
    echo: {
      ...(hc.Binds?.length ? { binds: [...hc.Binds] } : {}),
      ...(hc.Mounts?.length ? { mounts: hc.Mounts.map(echoMount) } : {}),
      ...(tmpfs.length ? { tmpfs: { ...hc.Tmpfs } } : {}),
      ...(hc.VolumesFrom?.length ? { volumesFrom: [...hc.VolumesFrom] } : {}),
      ...(hc.VolumeDriver ? { volumeDriver: hc.VolumeDriver } : {}),
      ...(volumes.length ? { volumes } : {}),
    },
  };
}

/** A Mount as dockerd shows it back: the fields of its Mount type, nothing else the client sent. */
function echoMount(m: object): Record<string, unknown> {
  const src = m as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['Type', 'Source', 'Target', 'ReadOnly', 'Consistency', 'BindOptions', 'VolumeOptions', 'TmpfsOptions']) {
    if (src[k] !== undefined && src[k] !== null && src[k] !== '' && src[k] !== false) out[k] = src[k];
  }
  return out;
}

/** What realizeMounts made: the container's mounts, and how to keep or give up the volumes. */
export interface RealizedMounts {
  readonly mounts: ContainerMount[];
  /** The record now names the volumes (the usedBy hook covers them): drop the interim references. */
  release(): void;
  /** The create failed: drop the references and remove the volumes this create made. */
  undo(): Promise<void>;
}

/**
 * Make what the plan needs: volumes (named ones on first use, anonymous ones labelled as
 * such), a new volume filled from the image at its destination unless NoCopy, missing `-v`
 * bind sources created. Volumes are referenced under `holder` until the record exists, so a
 * concurrent volume remove cannot take them meanwhile.
 */
export async function realizeMounts(plan: MountPlan, ctx: MountContext, holder: string): Promise<RealizedMounts> {
  const referenced: string[] = [];
  const created: string[] = [];
  const release = () => referenced.forEach((n) => ctx.volumes.release(n, holder));
  const undo = async () => {
    release();
    for (const n of created) await ctx.volumes.remove(n).catch(() => undefined);
  };
  const mounts: ContainerMount[] = [];
  try {
    for (const p of plan.planned) {
      if (p.kind === 'copy') {
        if (p.mount.type === 'volume' && p.mount.name) {
          ctx.volumes.reference(p.mount.name, holder);
          referenced.push(p.mount.name);
        }
        mounts.push(p.mount);
        continue;
      }
      const m = await realizePoint(p.point, ctx, holder, referenced, created);
      mounts.push(p.hidden ? { ...m, hidden: true } : m);
    }
  } catch (e) {
    await undo();
    throw e;
  }
  return { mounts, release, undo };
}

async function realizePoint(p: MountPoint, ctx: MountContext, holder: string, referenced: string[], created: string[]): Promise<ContainerMount> {
  const base = { destination: p.destination, rw: p.rw, mode: p.mode, propagation: p.propagation };
  if (p.type === 'tmpfs') {
    const options = tmpfsMountOptions(p.tmpfsData ?? '');
    return { ...base, type: 'tmpfs', source: '', rw: !options.includes('ro'), tmpfsOptions: options };
  }
  if (p.type === 'bind') {
    if (p.createSource && !existsSync(p.source)) await mkdir(p.source, { recursive: true, mode: 0o755 });
    return { ...base, type: 'bind', source: p.source, ...(p.nonRecursive ? { nonRecursive: true } : {}) };
  }
  const anonymous = p.source === '';
  const name = anonymous ? randomVolumeName() : p.source;
  const existed = volumeExists(ctx.volumes, name);
  const v = await ctx.volumes.create({ name, labels: anonymous ? { [ANONYMOUS_LABEL]: '' } : (p.volumeLabels ?? null) });
  if (!existed) created.push(name);
  ctx.volumes.reference(name, holder);
  referenced.push(name);
  if (p.copyData) await fillFromImage(ctx.lowers, p.destination, v.mountpoint, name);
  return { ...base, type: 'volume', source: v.mountpoint, name, driver: v.driver, mode: p.mode || 'z', ...(anonymous ? { anonymous: true } : {}) };
}

/** Copies into one volume run one at a time: the second finds the volume filled and copies nothing. */
const filling = new Map<string, Promise<unknown>>();

async function fillFromImage(lowers: readonly string[], path: string, mountpoint: string, name: string): Promise<void> {
  const prev = filling.get(name) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(() => copyImageDir(lowers, path, mountpoint));
  filling.set(name, run);
  try {
    await run;
  } catch (e) {
    throw new SystemError(`copy ${path} of the image into volume ${name}: ${(e as Error).message}`, { cause: e });
  } finally {
    if (filling.get(name) === run) filling.delete(name);
  }
}

function volumeExists(volumes: Volumes, name: string): boolean {
  try {
    volumes.get(name);
    return true;
  } catch {
    return false;
  }
}

/** The anonymous volumes of a record: what `rm -v` and `--rm` remove. */
export function anonymousVolumes(r: ContainerRecord): string[] {
  return (r.spec.mounts ?? []).filter((m) => m.type === 'volume' && m.anonymous && m.name).map((m) => m.name!);
}

/** Whether the record mounts the volume `name`. */
export function mountsVolume(r: ContainerRecord, name: string): boolean {
  return (r.spec.mounts ?? []).some((m) => m.type === 'volume' && m.name === name);
}
