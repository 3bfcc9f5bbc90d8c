import type { Services } from '../composition-root';
import type { MetricsSources } from './netd-metrics';

/** The daemon's services as the metrics see them: read at scrape time, nothing kept. */
export function runtimeSources(rt: Services): MetricsSources {
  return {
    networks: () => rt.store.listNetworks(),
    endpoints: () => rt.store.listEndpoints().filter((e) => e.state === 'active').length,
    containers: () => rt.containers.list().map((c) => ({ state: c.state.status })),
    dns: () => rt.dns.stats(),
    cluster: () => {
      const d = rt.cluster.active;
      return d && { members: d.members(), traffic: d.traffic, syncedAfterMs: d.syncedAfterMs };
    },
  };
}
