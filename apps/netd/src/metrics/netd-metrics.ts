import { DNS_LATENCY_BUCKETS, type DnsStatsSnapshot } from '@app/dns';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the daemon's state looks like at scrape time; read only when /metrics is asked. */
export interface MetricsSources {
  networks(): readonly { readonly driver: string }[];
  endpoints(): number;
  containers(): readonly { readonly state: string }[];
  /** The embedded DNS's counters (from the resolver process when it serves); undefined when off or unreachable. */
  dns?(): Promise<DnsStatsSnapshot | undefined>;
  /** Cluster membership and gossip traffic; undefined when this node is in no cluster. */
  cluster?(): ClusterStats | undefined;
}

export interface ClusterStats {
  readonly members: readonly { readonly alive: boolean; readonly self: boolean }[];
  readonly traffic: { readonly framesIn: number; readonly bytesIn: number; readonly framesOut: number; readonly bytesOut: number; readonly recordsApplied: number };
  /** Milliseconds from the cluster start to the first state received from a peer. */
  readonly syncedAfterMs?: number;
}

type Sample = { labels?: Record<string, string | number>; value: number; metricName?: string };

/** Kernel and runtime calls take from ~0.1 ms (netlink) to seconds (runc create). */
const OPERATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * netd's Prometheus metrics on a registry of its own (not prom-client's global one, so two
 * daemons in one test process never share counters). Counters that live elsewhere (the DNS
 * resolver, possibly another process; the gossip layer) are read at scrape time into metrics
 * that report those numbers as they are.
 */
export class NetdMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly operations: Histogram<'component' | 'op' | 'result'>;
  private readonly firewallApplies: Counter<'kind'>;
  private sources?: MetricsSources;
  private dnsSnapshot?: DnsStatsSnapshot;
  private clusterSnapshot?: ClusterStats;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'netd_api_requests_total', help: 'Engine API requests answered, by route template and status', labelNames: ['method', 'route', 'status'], registers });
    this.requestSeconds = new Histogram({
      name: 'netd_api_request_duration_seconds', help: 'Engine API request durations, by route template and status', labelNames: ['method', 'route', 'status'], buckets: REQUEST_BUCKETS, registers,
    });
    this.operations = new Histogram({
      name: 'netd_operation_duration_seconds', help: 'Latency of kernel and runtime operations (netlink, nft, runc), by port method and result', labelNames: ['component', 'op', 'result'], buckets: OPERATION_BUCKETS, registers,
    });
    this.firewallApplies = new Counter({ name: 'netd_firewall_applies_total', help: 'nftables batches applied: full table or delta', labelNames: ['kind'], registers });
    const sources = () => this.sources;
    new Gauge({
      name: 'netd_networks', help: 'Networks, by driver', labelNames: ['driver'], registers,
      collect() {
        this.reset();
        for (const n of sources()?.networks() ?? []) this.inc({ driver: n.driver });
      },
    });
    new Gauge({ name: 'netd_endpoints', help: 'Endpoints (a container attached to a network)', registers, collect() { this.set(sources()?.endpoints() ?? 0); } });
    new Gauge({
      name: 'netd_containers', help: 'Containers, by state', labelNames: ['state'], registers,
      collect() {
        this.reset();
        for (const s of ['created', 'running', 'paused', 'restarting', 'exited', 'dead']) this.set({ state: s }, 0);
        for (const c of sources()?.containers() ?? []) this.inc({ state: c.state });
      },
    });
    this.fromSnapshot('netd_dns_queries_total', 'counter', 'Queries received by the embedded DNS, by transport', () => {
      const q = this.dnsSnapshot?.queries;
      return q ? [{ labels: { transport: 'udp' }, value: q.udp }, { labels: { transport: 'tcp' }, value: q.tcp }] : [];
    });
    this.fromSnapshot('netd_dns_answers_total', 'counter', 'Answers sent by the embedded DNS, by source (local or forward) and response code', () =>
      Object.entries(this.dnsSnapshot?.answers ?? {}).flatMap(([source, byCode]) =>
        Object.entries(byCode).map(([rcode, value]) => ({ labels: { source, rcode }, value })),
      ),
    );
    this.fromSnapshot('netd_dns_forwards_total', 'counter', 'Queries the embedded DNS forwarded upstream', () => {
      const f = this.dnsSnapshot?.answers.forward;
      return f ? [{ value: Object.values(f).reduce((a, b) => a + b, 0) }] : [];
    });
    this.fromSnapshot('netd_dns_dropped_total', 'counter', 'Queries the embedded DNS dropped without an answer', () => (this.dnsSnapshot ? [{ value: this.dnsSnapshot.dropped }] : []));
    this.fromSnapshot('netd_dns_forward_duration_seconds', 'histogram', 'Time from forwarding a query upstream to the answer, in the embedded DNS', () => dnsHistogram(this.dnsSnapshot));
    this.fromSnapshot('netd_cluster_members', 'gauge', 'Cluster members this node knows, by liveness (self counts as alive)', () => {
      const m = this.clusterSnapshot?.members;
      if (!m) return [];
      const alive = m.filter((x) => x.self || x.alive).length;
      return [{ labels: { state: 'alive' }, value: alive }, { labels: { state: 'down' }, value: m.length - alive }];
    });
    this.fromSnapshot('netd_cluster_convergence_seconds', 'gauge', 'Seconds from joining the cluster to the first full state received from a peer', () =>
      this.clusterSnapshot?.syncedAfterMs !== undefined ? [{ value: this.clusterSnapshot.syncedAfterMs / 1000 }] : [],
    );
    this.fromSnapshot('netd_cluster_gossip_frames_total', 'counter', 'Cluster gossip frames, by direction', () => {
      const t = this.clusterSnapshot?.traffic;
      return t ? [{ labels: { direction: 'in' }, value: t.framesIn }, { labels: { direction: 'out' }, value: t.framesOut }] : [];
    });
    this.fromSnapshot('netd_cluster_gossip_bytes_total', 'counter', 'Cluster gossip bytes, by direction', () => {
      const t = this.clusterSnapshot?.traffic;
      return t ? [{ labels: { direction: 'in' }, value: t.bytesIn }, { labels: { direction: 'out' }, value: t.bytesOut }] : [];
    });
    this.fromSnapshot('netd_cluster_records_applied_total', 'counter', 'Cluster records received from peers and merged into this node\'s state', () => {
      const t = this.clusterSnapshot?.traffic;
      return t ? [{ value: t.recordsApplied }] : [];
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'netd_' });
  }

  /** Where the state gauges read from; set once the daemon's services exist. */
  bind(sources: MetricsSources): void {
    this.sources = sources;
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.requests.inc(labels);
    this.requestSeconds.observe(labels, seconds);
  }

  readonly observeOperation = (component: string, op: string, seconds: number, ok: boolean): void => {
    this.operations.observe({ component, op, result: ok ? 'ok' : 'error' }, seconds);
    if (component === 'nft' && ok && (op === 'apply' || op === 'update')) this.firewallApplies.inc({ kind: op === 'apply' ? 'full' : 'delta' });
  };

  /** The whole exposition text; reads the DNS and cluster counters first. */
  async scrape(): Promise<string> {
    this.dnsSnapshot = await this.sources?.dns?.().catch(() => undefined);
    this.clusterSnapshot = this.sources?.cluster?.();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A metric whose samples are computed from a snapshot at scrape time. */
  private fromSnapshot(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: () => Sample[]): void {
    this.registry.registerMetric({
      name,
      help,
      type,
      get: async () => ({ name, help, type, values: samples(), aggregator: 'sum' }),
      reset: () => undefined,
    } as never);
  }
}

function dnsHistogram(s: DnsStatsSnapshot | undefined): Sample[] {
  if (!s) return [];
  const out: Sample[] = [];
  let cumulative = 0;
  DNS_LATENCY_BUCKETS.forEach((le, i) => {
    cumulative += s.latency.counts[i] ?? 0;
    out.push({ metricName: 'netd_dns_forward_duration_seconds_bucket', labels: { le }, value: cumulative });
  });
  out.push({ metricName: 'netd_dns_forward_duration_seconds_bucket', labels: { le: '+Inf' }, value: s.latency.count });
  out.push({ metricName: 'netd_dns_forward_duration_seconds_sum', value: s.latency.sum });
  out.push({ metricName: 'netd_dns_forward_duration_seconds_count', value: s.latency.count });
  return out;
}
