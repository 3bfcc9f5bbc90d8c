import { NotFoundError } from '@app/common';
import { ContainerStore, type ContainerRecord, type ContainerSpec } from '@app/container';
import type { Db } from './database';

/** One network a container asked for (NetworkingConfig.EndpointsConfig or `network connect`). */
export interface NetAttachment {
  networkId: string;
  aliases: string[];
  ipv4?: string;
  ipv6?: string;
  mac?: string;
  /** User-network links: the target container's id and the alias it is known by here. */
  links: { container: string; alias: string }[];
}

export interface PublishedPort {
  proto: 'tcp' | 'udp' | 'sctp';
  containerPort: number;
  hostIp?: string;
  /** 0: pick a free port at start (`-P`, `-p 80`). */
  hostPort: number;
}

/** The container's network request, as netd keeps it apart from the core's record. */
export interface ContainerNet {
  /** Docker's HostConfig.NetworkMode as given (`default` stands for bridge). */
  mode: string;
  kind: 'networks' | 'host' | 'none' | 'container';
  /** For `container:<id>`: the id of the container whose namespace is shared. */
  sharedWith?: string;
  /** Ordered: the first one is eth0. */
  networks: NetAttachment[];
  ports: PublishedPort[];
  /** `80/tcp` keys of Config.ExposedPorts (and of the ports published). */
  exposed: string[];
  /** Default-bridge links: target id + alias (hosts entry and env vars). */
  legacyLinks: { container: string; alias: string }[];
  /** The namespace name under the netns dir (kind `networks`/`none`). */
  netns?: string;
}

/**
 * ContainerStore on the daemon's SQLite database: container records sit in the same database and
 * WAL as sandboxes and endpoints, so a record, its sandbox and its endpoints are never out of step
 * after a kill -9, and `net` (netd's own column) is never overwritten by the core's `put`.
 */
export class SqliteContainerStore extends ContainerStore {
  private readonly s;
  /** `net` of containers being created, by their spec (the record the core inserts carries it). */
  private readonly staged = new WeakMap<ContainerSpec, ContainerNet>();

  constructor(private readonly db: Db) {
    super();
    this.s = {
      get: db.prepare('SELECT record FROM containers WHERE id = ?'),
      list: db.prepare('SELECT record FROM containers'),
      put: db.prepare(`INSERT INTO containers (id, name, record, net) VALUES (?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, record = excluded.record`),
      del: db.prepare('DELETE FROM containers WHERE id = ?'),
      byName: db.prepare('SELECT record FROM containers WHERE name = ?'),
      byPrefix: db.prepare('SELECT record FROM containers WHERE substr(id, 1, ?) = ? LIMIT ?'),
      getNet: db.prepare('SELECT net FROM containers WHERE id = ?'),
      setNet: db.prepare('UPDATE containers SET net = ? WHERE id = ?'),
    };
  }

  async get(id: string): Promise<ContainerRecord | undefined> {
    return this.getSync(id);
  }

  getSync(id: string): ContainerRecord | undefined {
    const r = this.s.get.get(id) as { record: string } | undefined;
    return r && (JSON.parse(r.record) as ContainerRecord);
  }

  async list(): Promise<ContainerRecord[]> {
    return this.listSync();
  }

  listSync(): ContainerRecord[] {
    const rows = this.s.list.all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as ContainerRecord).sort((a, b) => b.created.localeCompare(a.created));
  }

  /** Through the UNIQUE index on `name`: no scan of every record. */
  override async findByName(name: string): Promise<ContainerRecord | undefined> {
    return this.findByNameSync(name);
  }

  findByNameSync(name: string): ContainerRecord | undefined {
    const r = this.s.byName.get(name) as { record: string } | undefined;
    return r && (JSON.parse(r.record) as ContainerRecord);
  }

  override async findByIdPrefix(prefix: string, limit = 2): Promise<ContainerRecord[]> {
    const rows = this.s.byPrefix.all(prefix.length, prefix, limit) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as ContainerRecord);
  }

  /** Updates keep `net`; a first insert takes the one staged for its spec, if any. */
  async put(record: ContainerRecord): Promise<void> {
    const staged = this.staged.get(record.spec);
    this.s.put.run(record.id, record.name, JSON.stringify(record), staged ? JSON.stringify(staged) : '{}');
  }

  /**
   * Have the record that the container core inserts for `spec` carry `net` in the same statement:
   * a container is never seen (by a connect, or after a crash) without its network request.
   * Returns the function that forgets it once the create is over.
   */
  stageNet(spec: ContainerSpec, net: ContainerNet): () => void {
    this.staged.set(spec, net);
    return () => this.staged.delete(spec);
  }

  async delete(id: string): Promise<void> {
    this.s.del.run(id);
  }

  net(id: string): ContainerNet | undefined {
    const r = this.s.getNet.get(id) as { net: string } | undefined;
    if (!r) return undefined;
    const n = JSON.parse(r.net) as Partial<ContainerNet>;
    return n.kind ? (n as ContainerNet) : undefined;
  }

  setNet(id: string, net: ContainerNet): void {
    this.s.setNet.run(JSON.stringify(net), id);
  }

  /**
   * Read, change and write a container's `net` in one transaction (a savepoint inside a caller's),
   * so a change is made to what is stored now, never to a copy read before an await. Throws
   * NotFound when the container's record is gone (removed meanwhile).
   */
  updateNet(id: string, change: (net: ContainerNet) => ContainerNet): ContainerNet {
    return this.db.transaction(() => {
      const current = this.net(id);
      if (!current) throw new NotFoundError(`No such container: ${id}`);
      const next = change(current);
      this.setNet(id, next);
      return next;
    })();
  }
}
