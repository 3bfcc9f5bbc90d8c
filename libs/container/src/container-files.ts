import { IpAddr } from '@app/common';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OciConfig } from './bundle';
import type { ContainerRecord } from './container-record';
import { parseExtraHost, renderHostname, renderHosts, resolveExtraHosts } from './hosts-file';
import type { ContainerPaths } from './layout';
import { containerResolvConf, parseResolvConf, renderResolvConf } from './resolv-conf';

/** Daemon-wide inputs to the per-container files. */
export interface FilesContext {
  /** The host's resolv.conf text (read at each render: the host's may change). */
  readonly hostResolvConf: () => string;
  /** The address `host-gateway` stands for (the default bridge's gateway). */
  readonly hostGateway?: IpAddr;
}

/** /etc/hosts of a record, from its spec and current network files. */
export function hostsOf(record: ContainerRecord, ctx: FilesContext): string {
  const extra = resolveExtraHosts((record.spec.extraHosts ?? []).map(parseExtraHost), ctx.hostGateway);
  return renderHosts({
    hostname: record.hostname,
    domainname: record.spec.domainname,
    addresses: record.networkFiles.addresses.map((a) => IpAddr.parse(a)),
    extraHosts: extra,
    links: record.networkFiles.links.map((l) => ({ ...l, ip: IpAddr.parse(l.ip) })),
  });
}

export function resolvConfOf(record: ContainerRecord, ctx: FilesContext): string {
  const host = parseResolvConf(ctx.hostResolvConf());
  return renderResolvConf(containerResolvConf(host, record.spec.dns ?? {}, record.networkFiles.embeddedDns));
}

/**
 * Write the bundle: config.json and the three files bind-mounted into /etc. Every file is rendered
 * before the first write: a render that throws (a bad --add-host) while a write was already under
 * way left that write's rejection unhandled once the caller removed the directory, and the
 * daemon exited.
 */
export async function writeBundle(paths: ContainerPaths, config: OciConfig, record: ContainerRecord, ctx: FilesContext): Promise<void> {
  const files: [string, string][] = [
    [paths.config, JSON.stringify(config, null, 2)],
    [paths.hosts, hostsOf(record, ctx)],
    [paths.resolvConf, resolvConfOf(record, ctx)],
    [paths.hostname, renderHostname(record.hostname)],
  ];
  await mkdir(paths.dir, { recursive: true });
  await Promise.all(files.map(([path, text]) => writeFile(path, text)));
}

/**
 * Rewrite hosts and resolv.conf in place. They are bind-mounted into a running container, so
 * replacing them by rename would leave the container looking at the old inode. `resolvConf`, when
 * given, replaces the one rendered from the record (the embedded DNS renders its own).
 */
export async function rewriteNetworkFiles(paths: ContainerPaths, record: ContainerRecord, ctx: FilesContext, resolvConf?: string): Promise<void> {
  await writeInPlace(paths.hosts, hostsOf(record, ctx));
  await writeInPlace(paths.resolvConf, resolvConf ?? resolvConfOf(record, ctx));
}

async function writeInPlace(path: string, content: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(0);
    await fh.write(content, 0);
  } finally {
    await fh.close();
  }
}

/** The image's /etc/passwd and /etc/group (from the topmost layer that has them), or ''. */
export function imageUserDb(lowers: readonly string[]): { passwd: string; group: string } {
  const find = (file: string) => {
    for (const dir of lowers) {
      const p = join(dir, 'etc', file);
      if (existsSync(p)) return readFileSync(p, 'utf8');
    }
    return '';
  };
  return { passwd: find('passwd'), group: find('group') };
}
