import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { BridgeDriver, HostDriver, NullDriver } from '@app/drivers';
import { DefaultIpam } from '@app/ipam';
import type { Firewall, Netlink, Netns, Sysctl } from '@app/kernel';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { NetdConfig } from './config/netd-config';
import { OPEN_STREAMS } from './http/open-streams';
import { createApp } from './http/create-app';
import { closeListeners, OpenListener, openListeners } from './http/listeners';
import { reconcile, ReconcileReport } from './lifecycle/reconciler';
import { MapDriverSet } from './networks/driver-set';
import { buildRuntime, Runtime } from './runtime';
import { openDatabase } from './store/database';
import { RuncRuntime, type Runtime as ContainerRuntime } from '@app/container';
import { join } from 'node:path';
import { startContainers } from './containers/startup';
import { SqliteIpamStore } from './store/sqlite-ipam-store';
import { clusterParts } from './cluster/cluster-wiring';
import { engineId } from './lifecycle/engine-id';

export interface KernelPorts {
  /** The container runtime; default runc + conmon under the exec root (unit tests pass FakeRuntime). */
  containerRuntime?: ContainerRuntime;
  netlink: Netlink;
  netns: Netns;
  firewall: Firewall;
  sysctl: Sysctl;
}

export interface Daemon {
  readonly rt: Runtime;
  readonly app: NestFastifyApplication;
  readonly listeners: readonly OpenListener[];
  readonly reconciled: ReconcileReport;
  /**
   * Stop accepting, end every stream (attach, exec, logs, events, wait), give other in-flight
   * requests `graceMs` (default 5 s), drop what is left, close the database. Kernel state and
   * containers stay (live restore).
   */
  stop(graceMs?: number): Promise<void>;
}

/** Build the runtime on the given kernel ports; no listener, no reconciliation. */
export function assemble(config: NetdConfig, kernel: KernelPorts, log: Logger): Runtime {
  const db = openDatabase(config.dataRoot);
  const hostNs = { path: config.hostNetns };
  const id = engineId(config.dataRoot);
  const ipam = new DefaultIpam({
    store: new SqliteIpamStore(db),
    localPools: config.defaultAddressPools.length > 0 ? config.defaultAddressPools : undefined,
    hostId: id,
  });
  const logger = log.child({ component: 'driver' });
  const cluster = clusterParts(kernel, hostNs, log, db);
  const drivers = [
    new BridgeDriver({ ...kernel, hostNs, logger, defaultBridgeName: config.bridge }),
    new HostDriver(),
    new NullDriver({ netlink: kernel.netlink, hostNs }),
    cluster.driver,
  ];
  const rt = buildRuntime({
    config,
    engineId: id,
    log,
    db,
    ipam,
    drivers: new MapDriverSet(new Map(drivers.map((d) => [d.type, d]))),
    netlink: kernel.netlink,
    netns: kernel.netns,
    hostNs,
    containerRuntime: kernel.containerRuntime ?? new RuncRuntime({
      stateDir: join(config.dataRoot, 'containers'),
      runcRoot: join(config.execRoot, 'runc'),
      // conmon's attach sockets: a short path, unix socket paths are limited to 107 bytes
      socketDir: join(config.execRoot, 's'),
    }),
  });
  cluster.bind(rt);
  return rt;
}

/** Reconcile, then serve. */
export async function startDaemon(config: NetdConfig, kernel: KernelPorts, log: Logger): Promise<Daemon> {
  const rt = assemble(config, kernel, log);
  try {
    const reconciled = await reconcile({ ...rt, endpoints: rt.endpoints });
    log.info({ ...reconciled, kernelObjectsRemoved: reconciled.kernelObjectsRemoved.length }, 'state reconciled');
    await startContainers(rt);
    // A cluster that cannot be reached must not keep the daemon from serving its local networks.
    await rt.cluster?.start(config.cluster).catch((e) => log.error({ err: e }, 'cluster start failed'));
    const app = await createApp(rt);
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    const listeners = await openListeners(config, fastify.server as Server, log);
    let stopping: Promise<void> | undefined;
    const stop = (graceMs?: number) =>
      (stopping ??= (async () => {
        const closed = closeListeners(listeners, graceMs);
        OPEN_STREAMS.endAll();
        await closed;
        rt.containers.detach();
        await rt.cluster?.stop().catch((e) => log.warn({ err: e }, 'leaving the cluster swarm'));
        await app.close().catch((e) => log.warn({ err: e }, 'closing the application'));
        rt.hostRoutes.close();
        rt.db.close();
      })());
    return { rt, app, listeners, reconciled, stop };
  } catch (e) {
    rt.hostRoutes.close();
    rt.db.close();
    throw e;
  }
}
