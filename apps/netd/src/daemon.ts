import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { NetdConfig } from './config/netd-config';
import { OPEN_STREAMS } from './http/open-streams';
import { createApp } from './http/create-app';
import { closeListeners, OpenListener, openListeners } from './http/listeners';
import { reconcile, ReconcileReport } from './lifecycle/reconciler';
import { composeServices, type KernelPorts, type Services } from './composition-root';
import { startContainers } from './containers/startup';
import type { ReadOnlyServer } from './http/read-only-server';
import { serveMetrics } from './metrics/metrics-server';
import { serveTopologyPage } from './ui/topology-server';

export interface Daemon {
  readonly rt: Services;
  readonly app: NestFastifyApplication;
  readonly listeners: readonly OpenListener[];
  readonly reconciled: ReconcileReport;
  /** The metrics and topology page servers, when configured. */
  readonly sideServers: readonly ReadOnlyServer[];
  /**
   * Stop accepting, end every stream (attach, exec, logs, events, wait), give other in-flight
   * requests `graceMs` (default 5 s), drop what is left, close the database. Kernel state and
   * containers stay (live restore).
   */
  stop(graceMs?: number): Promise<void>;
}

/** Reconcile, then serve. */
export async function startDaemon(config: NetdConfig, kernel: KernelPorts, log: Logger): Promise<Daemon> {
  const rt = composeServices(config, kernel, log);
  const sideServers: ReadOnlyServer[] = [];
  try {
    const reconciled = await reconcile(rt);
    log.info({ ...reconciled, kernelObjectsRemoved: reconciled.kernelObjectsRemoved.length }, 'state reconciled');
    await startContainers(rt);
    // A cluster that cannot be reached must not keep the daemon from serving its local networks.
    await rt.cluster.start(config.cluster).catch((e) => log.error({ err: e }, 'cluster start failed'));
    const app = await createApp(rt);
    const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
    const listeners = await openListeners(config, fastify.server as Server, log);
    try {
      if (rt.metrics && config.metricsAddr) sideServers.push(await serveMetrics(config.metricsAddr, rt.metrics, log));
      if (config.uiAddr) sideServers.push(await serveTopologyPage(config.uiAddr, rt, log));
    } catch (e) {
      await Promise.all(sideServers.map((s) => s.close()));
      await closeListeners(listeners, 0);
      await app.close().catch(() => undefined);
      throw e;
    }
    let stopping: Promise<void> | undefined;
    const stop = (graceMs?: number) =>
      (stopping ??= (async () => {
        const closed = closeListeners(listeners, graceMs);
        await Promise.all(sideServers.map((s) => s.close()));
        OPEN_STREAMS.endAll();
        await closed;
        rt.health.close();
        rt.containers.detach();
        await rt.cluster.stop().catch((e) => log.warn({ err: e }, 'leaving the cluster swarm'));
        await app.close().catch((e) => log.warn({ err: e }, 'closing the application'));
        rt.hostRoutes.close();
        rt.db.close();
      })());
    return { rt, app, listeners, reconciled, stop, sideServers };
  } catch (e) {
    rt.hostRoutes.close();
    rt.db.close();
    throw e;
  }
}
