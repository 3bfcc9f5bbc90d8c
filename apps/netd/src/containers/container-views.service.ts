import type { ContainerInspect, ContainerSummary } from '@app/api/containers';
import { InvalidParameterError, matchLabel, Prefix } from '@app/common';
import type { ContainerRecord } from '@app/container';
import type { Ipam } from '@app/ipam/ipam.contract';
import { parseFilters } from '../networks/network-lookup';
import type { SqliteContainerStore } from '../store/sqlite-container-store';
import type { StateStore } from '../store/state-store';
import type { ContainerNetworking } from './container-network';
import { netnsNameOf } from './container-network';
import { toInspect, toSummary, type ViewContext } from './container-view';
import type { ContainersService } from './containers.service';

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** Read side of the container API: `ps` with Docker's filters, and `inspect`. */
export class ContainerViews {
  private readonly containers: SqliteContainerStore;
  private readonly store: StateStore;
  private readonly ipam: Ipam;
  private readonly net: ContainerNetworking;
  private readonly containersService: ContainersService;
  private readonly stateDir: string;
  private readonly netnsDir: string;

  constructor(
    deps: { containers: SqliteContainerStore; store: StateStore; ipam: Ipam; net: ContainerNetworking; svc: ContainersService; stateDir: string; netnsDir: string },
  ) {
    this.containers = deps.containers;
    this.store = deps.store;
    this.ipam = deps.ipam;
    this.net = deps.net;
    this.containersService = deps.svc;
    this.stateDir = deps.stateDir;
    this.netnsDir = deps.netnsDir;
  }

  private ctx(): ViewContext {
    return {
      stateDir: this.stateDir,
      network: (id) => this.store.getNetwork(id),
      gateway: (id, family = 4) => {
        const n = this.store.getNetwork(id);
        const pool = n?.poolIds.map((p) => this.ipam.getPool(p)).find((p) => p?.subnet.family === family);
        return pool?.gateway?.toString() ?? '';
      },
      containerName: (id) => this.containers.getSync(id)?.name,
    };
  }

  list(q: { all: boolean; filters?: string; limit?: string }): ContainerSummary[] {
    const f = parseFilters(q.filters, ['name', 'id', 'status', 'label', 'network', 'ancestor', 'exited']);
    for (const s of f.status ?? []) {
      if (!STATUSES.includes(s)) throw new InvalidParameterError(`invalid filter 'status=${s}'`);
    }
    const any = (k: string, pred: (v: string) => boolean) => !f[k]?.length || f[k].some(pred);
    let rows = this.containers.listSync().filter((r) => q.all || f.status?.length || r.state.running || r.state.status === 'restarting');
    rows = rows.filter((r) => {
      const net = this.net.net(r.id);
      const nets = net.networks.map((a) => this.store.getNetwork(a.networkId)).filter((n) => n !== undefined);
      return (
        any('name', (v) => r.name.slice(1).includes(v.replace(/^\//, ''))) &&
        any('id', (v) => r.id.startsWith(v)) &&
        any('status', (v) => r.state.status === v) &&
        (f.label ?? []).every((v) => matchLabel(r.spec.labels ?? {}, v)) &&
        any('network', (v) => (net.kind === 'host' || net.kind === 'none' ? net.kind === v : nets.some((n) => n.name === v || n.id.startsWith(v)))) &&
        any('ancestor', (v) => r.spec.image === v || (r.spec.imageId ?? '').replace('sha256:', '').startsWith(v.replace('sha256:', ''))) &&
        any('exited', (v) => r.state.status === 'exited' && String(r.state.exitCode) === v)
      );
    });
    // moby reads limit with strconv.Atoi and refuses what it cannot parse
    if (q.limit && !/^[-+]?\d{1,18}$/.test(q.limit)) throw new InvalidParameterError(`invalid value for limit: ${JSON.stringify(q.limit.slice(0, 64))}`);
    const limit = q.limit ? Number(q.limit) : -1;
    if (limit > 0) rows = rows.slice(0, limit);
    const ctx = this.ctx();
    return rows.map((r) => toSummary(r, this.net.net(r.id), this.net.endpointsOf(r.id), ctx));
  }

  async inspect(ref: string): Promise<ContainerInspect> {
    const r: ContainerRecord = await this.containersService.find(ref);
    const net = this.net.net(r.id);
    return toInspect(r, net, this.net.endpointsOf(r.id), this.ctx(), `${this.netnsDir}/${net.netns ?? netnsNameOf(r.id)}`);
  }

  /** The IPv4 address (no prefix) on a network, for tests and tools. */
  addressOn(id: string, networkId: string): string | undefined {
    const ep = this.net.endpointsOf(id).find((e) => e.networkId === networkId);
    return ep?.ipv4 ? Prefix.parse(ep.ipv4).address.toString() : undefined;
  }
}
