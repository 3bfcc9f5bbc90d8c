import type { Runtime as ContainerRuntime } from '@app/container';
import type { Logger } from 'pino';
import type { TcpAddress } from '../config/netd-config';
import { isLoopbackHost } from '../config/netd-config';
import type { KernelPorts } from '../composition-root';
import { openReadOnlyServer, type ReadOnlyServer } from '../http/read-only-server';
import { instrumentPort } from './instrument';
import type { NetdMetrics } from './netd-metrics';

/**
 * The runtime calls worth timing: the ones that end when runc does. waitExit, logs, attach and
 * exec sessions last as long as a container or a client wants, and would only blur the figures.
 */
const RUNC_OPERATIONS = ['create', 'start', 'kill', 'delete', 'state', 'list', 'exec', 'readExit', 'adopt', 'resize'];

/** netlink and nft calls timed, every method of their ports. */
export function instrumentKernel(kernel: KernelPorts, metrics: NetdMetrics): KernelPorts {
  return {
    ...kernel,
    netlink: instrumentPort(kernel.netlink, 'netlink', metrics.observeOperation),
    firewall: instrumentPort(kernel.firewall, 'nft', metrics.observeOperation),
  };
}

export function timedRuntime(runtime: ContainerRuntime, metrics: NetdMetrics | undefined): ContainerRuntime {
  return metrics ? instrumentPort(runtime, 'runc', metrics.observeOperation, RUNC_OPERATIONS) : runtime;
}

/** `GET /metrics` in Prometheus' text format (dockerd's --metrics-addr), and nothing else. */
export function serveMetrics(addr: TcpAddress, metrics: NetdMetrics, log: Logger): Promise<ReadOnlyServer> {
  if (!isLoopbackHost(addr.host)) {
    log.warn({ host: addr.host, port: addr.port }, 'metrics are served without authentication on a non-loopback address');
  }
  return openReadOnlyServer('metrics', addr, { '/metrics': async () => ({ type: metrics.contentType, body: await metrics.scrape() }) }, log);
}
