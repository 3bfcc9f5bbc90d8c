import { join } from 'node:path';

/**
 * Where one container's files live: everything under `<stateDir>/<id>/`, which is also the OCI
 * bundle. The runtime and the manager both derive paths from here, so a restarted daemon finds
 * a container's log, exit file and bundle from its id alone.
 */
export interface ContainerPaths {
  readonly dir: string;
  readonly config: string;
  /** Mount point of the overlay root. */
  readonly rootfs: string;
  /** overlayfs upper and work dirs (same filesystem as each other). */
  readonly upper: string;
  readonly work: string;
  readonly hosts: string;
  readonly resolvConf: string;
  readonly hostname: string;
  /** conmon's k8s-file log. */
  readonly log: string;
  /** conmon writes `<exitDir>/<id>` with the exit code when the container ends. */
  readonly exitDir: string;
  readonly exitFile: string;
  readonly pidFile: string;
  readonly conmonPidFile: string;
}

export function containerPaths(stateDir: string, id: string): ContainerPaths {
  const dir = join(stateDir, id);
  return {
    dir,
    config: join(dir, 'config.json'),
    rootfs: join(dir, 'rootfs'),
    upper: join(dir, 'diff'),
    work: join(dir, 'work'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    hostname: join(dir, 'hostname'),
    log: join(dir, 'container.log'),
    exitDir: join(dir, 'exit'),
    exitFile: join(dir, 'exit', id),
    pidFile: join(dir, 'pid'),
    conmonPidFile: join(dir, 'conmon.pid'),
  };
}
