import type { ConnectNetworkDto, CreateNetworkDto, DisconnectNetworkDto, NetworkCreateResponse, NetworkInspect, NetworkPruneResponse, NetworkSummary } from '@app/api';
import { randomBytes } from 'node:crypto';
import { DaemonError } from '../client/errors';
import type { Filters } from '../client/netd-api';
import { FakeContainerIo } from './fake-container-io';

const PREDEFINED = ['bridge', 'host', 'none'];

/**
 * Networks with the Engine API's rules that the CLI depends on: lookup by exact id, exact name,
 * then id prefix; 404/409/403 with docker's messages; predefined networks that cannot be removed;
 * prune keeps networks with containers.
 */
export class FakeNetworks extends FakeContainerIo {
  readonly networks: NetworkInspect[] = [];

  /** Adds a network directly (test setup). */
  add(n: { Name: string; Id?: string; Driver?: string; Config?: NetworkInspect['IPAM']['Config']; Labels?: Record<string, string>; Created?: string }): NetworkInspect {
    const net: NetworkInspect = {
      Name: n.Name,
      Id: n.Id ?? randomBytes(32).toString('hex'),
      Created: n.Created ?? '2026-01-02T03:04:05.123456789Z',
      Scope: 'local',
      Driver: n.Driver ?? 'bridge',
      EnableIPv4: true,
      EnableIPv6: false,
      IPAM: { Driver: 'default', Options: {}, Config: n.Config ?? [] },
      Internal: false,
      Attachable: false,
      Ingress: false,
      ConfigFrom: { Network: '' },
      ConfigOnly: false,
      Options: {},
      Labels: n.Labels ?? {},
      Containers: {},
    };
    this.networks.push(net);
    return net;
  }

  async listNetworks(filters?: Filters): Promise<NetworkSummary[]> {
    this.requests.push({ method: 'list', filters });
    return this.networks.filter((n) => matches(n, filters)).map(({ Containers: _c, Status: _s, ...summary }) => summary);
  }

  async inspectNetworkWithRaw(idOrName: string, opts: { verbose?: boolean } = {}): Promise<{ network: NetworkInspect; raw: string }> {
    this.requests.push({ method: 'inspect', target: idOrName, body: opts });
    const network = structuredClone(this.find(idOrName));
    return { network, raw: JSON.stringify(network) + '\n' };
  }

  async createNetwork(req: CreateNetworkDto): Promise<NetworkCreateResponse> {
    this.requests.push({ method: 'create', body: structuredClone(req) });
    if (this.networks.some((n) => n.Name === req.Name)) throw new DaemonError(409, `network with name ${req.Name} already exists`);
    const driver = req.Driver || 'bridge';
    if (!['bridge', 'overlay'].includes(driver)) throw new DaemonError(404, `plugin "${driver}" not found`);
    const net = this.add({ Name: req.Name, Driver: driver, Config: req.IPAM?.Config ?? [], Labels: req.Labels ?? {} });
    Object.assign(net, { Internal: Boolean(req.Internal), Attachable: Boolean(req.Attachable), EnableIPv6: Boolean(req.EnableIPv6), Options: req.Options ?? {} });
    return { Id: net.Id, Warning: '' };
  }

  async removeNetwork(idOrName: string): Promise<void> {
    this.requests.push({ method: 'remove', target: idOrName });
    const net = this.find(idOrName);
    if (PREDEFINED.includes(net.Name)) throw new DaemonError(403, `${net.Name} is a pre-defined network and cannot be removed`);
    if (Object.keys(net.Containers).length) throw new DaemonError(409, `error while removing network: network ${net.Name} id ${net.Id} has active endpoints`);
    this.networks.splice(this.networks.indexOf(net), 1);
  }

  async pruneNetworks(filters?: Filters): Promise<NetworkPruneResponse> {
    this.requests.push({ method: 'prune', filters });
    const gone = this.networks.filter((n) => !PREDEFINED.includes(n.Name) && Object.keys(n.Containers).length === 0 && matches(n, filters));
    for (const n of gone) this.networks.splice(this.networks.indexOf(n), 1);
    return { NetworksDeleted: gone.map((n) => n.Name) };
  }

  async connectNetwork(idOrName: string, req: ConnectNetworkDto): Promise<void> {
    this.requests.push({ method: 'connect', target: idOrName, body: structuredClone(req) });
    this.find(idOrName);
    throw new DaemonError(404, `No such container: ${req.Container}`);
  }

  async disconnectNetwork(idOrName: string, req: DisconnectNetworkDto): Promise<void> {
    this.requests.push({ method: 'disconnect', target: idOrName, body: structuredClone(req) });
    const net = this.find(idOrName);
    const id = Object.keys(net.Containers).find((k) => k === req.Container || net.Containers[k].Name === req.Container);
    if (!id) throw new DaemonError(404, `No such container: ${req.Container}`);
    delete net.Containers[id];
  }

  private find(idOrName: string): NetworkInspect {
    const byId = this.networks.find((n) => n.Id === idOrName) ?? this.networks.find((n) => n.Name === idOrName);
    if (byId) return byId;
    const prefixed = idOrName ? this.networks.filter((n) => n.Id.startsWith(idOrName)) : [];
    if (prefixed.length > 1) throw new DaemonError(400, `network ${idOrName} is ambiguous (${prefixed.length} matches found based on ID prefix)`);
    if (prefixed.length === 1) return prefixed[0];
    throw new DaemonError(404, `network ${idOrName} not found`);
  }
}

function matches(n: NetworkInspect, filters: Filters | undefined): boolean {
  for (const [key, values] of Object.entries(filters ?? {})) {
    const ok = values.some((v) => {
      if (key === 'name') return n.Name.includes(v);
      if (key === 'driver') return n.Driver === v;
      if (key === 'id') return n.Id.startsWith(v);
      if (key === 'scope') return n.Scope === v;
      if (key === 'type') return (v === 'builtin') === PREDEFINED.includes(n.Name);
      if (key === 'label') {
        const eq = v.indexOf('=');
        return eq < 0 ? v in n.Labels : n.Labels[v.slice(0, eq)] === v.slice(eq + 1);
      }
      return false;
    });
    if (!ok) return false;
  }
  return true;
}
