import type { VersionResponse } from '@app/api';
import type { Filters, InfoResponse, NetdApi } from '../client/netd-api';
import type { DiskUsage, EventMessage, ImagePruneResponse } from '../client/system-types';
import { FakeVolumes } from './fake-volumes';

/**
 * An in-memory daemon: FakeNetworks, FakeVolumes, FakeContainers (+ FakeContainerIo), FakeImages on a shared
 * FakeDaemonState, with version and info here. Records every request for assertions. The contract
 * suites (netd-api.contract.ts, engine-api.contract.ts) run against this and against a real netd.
 */
export class FakeNetdClient extends FakeVolumes implements NetdApi {
  constructor(opts: { predefined?: boolean } = {}) {
    super();
    if (opts.predefined !== false) {
      this.add({ Name: 'bridge', Driver: 'bridge', Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] });
      this.add({ Name: 'host', Driver: 'host' });
      this.add({ Name: 'none', Driver: 'null' });
    }
  }

  async version(): Promise<VersionResponse> {
    this.requests.push({ method: 'version' });
    return {
      Platform: { Name: 'netd' },
      Components: [{ Name: 'Engine', Version: '0.1.0' }],
      Version: '0.1.0',
      ApiVersion: '1.47',
      MinAPIVersion: '1.24',
      GitCommit: 'fake',
      GoVersion: 'node',
      Os: 'linux',
      Arch: 'x64',
      KernelVersion: '6.0.0',
      Experimental: false,
      BuildTime: '2026-01-01T00:00:00Z',
    };
  }

  /** What `events` streams: tests push messages here; the stream ends after them (as with `--until`). */
  readonly events_: EventMessage[] = [];

  async events(o: { since?: string; until?: string; filters?: Filters } = {}): Promise<AsyncIterable<EventMessage>> {
    this.requests.push({ method: 'events', filters: o.filters, body: { since: o.since, until: o.until } });
    const f = o.filters ?? {};
    const any = (k: string, v: string) => !f[k]?.length || f[k].includes(v);
    const picked = this.events_.filter((e) => any('type', e.Type) && any('event', e.Action));
    return (async function* () {
      yield* picked;
    })();
  }

  async systemDf(): Promise<DiskUsage> {
    this.requests.push({ method: 'systemDf' });
    const users = (id: string) => this.containers.filter((c) => c.imageId === id).length;
    return {
      LayersSize: this.images.reduce((n, i) => n + i.size, 0),
      Images: this.images.map((i) => ({ Id: i.id, ParentId: '', RepoTags: i.tags, RepoDigests: [], Created: Math.floor(i.created / 1000), Size: i.size, SharedSize: 0, Labels: null, Containers: users(i.id) })),
      Containers: this.containers.map((c) => ({ Id: c.id, Names: [`/${c.name}`], Image: c.image, State: c.status, SizeRw: 0, SizeRootFs: 0 }) as unknown as NonNullable<DiskUsage['Containers']>[number]),
      Volumes: this.volumes.map((v) => ({ ...v, UsageData: { Size: 0, RefCount: (this.volumeUsers.get(v.Name) ?? []).length } })),
      BuildCache: [],
    };
  }

  async pruneImages(filters?: Filters): Promise<ImagePruneResponse> {
    this.requests.push({ method: 'pruneImages', filters });
    const all = (filters?.dangling ?? []).includes('false');
    const gone = this.images.filter((i) => (all || i.tags.length === 0) && !this.containers.some((c) => c.imageId === i.id));
    for (const i of gone) this.images.splice(this.images.indexOf(i), 1);
    const deleted = gone.flatMap((i) => [...i.tags.map((t) => ({ Untagged: t })), { Deleted: i.id }]);
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: gone.reduce((n, i) => n + i.size, 0) };
  }

  async info(): Promise<InfoResponse> {
    this.requests.push({ method: 'info' });
    return { ID: 'fake', Name: 'fakehost', ServerVersion: '0.1.0', Networks: this.networks.length, Plugins: { Network: ['bridge', 'host', 'null'] } };
  }
}
