import { ConflictError, InvalidParameterError, NotFoundError, generateId } from '@app/common';
import type { NetnsRef, Netns } from '@app/kernel';
import type { SandboxRecord, StateStore } from '../store/state-store';

const SANDBOX_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/**
 * Sandboxes: named network namespaces the daemon manages, standing in for containers until the
 * container core lands. The record is written before the namespace exists, so a crash in between
 * leaves a record without a namespace, which reconciliation drops; never a namespace nobody knows.
 * No REST API: tests and tools create them through this class on the daemon's database.
 */
export class SandboxesService {
  constructor(
    private readonly store: StateStore,
    private readonly netns: Netns,
  ) {}

  async create(name: string): Promise<SandboxRecord> {
    if (!SANDBOX_NAME.test(name)) throw new InvalidParameterError(`invalid sandbox name ${JSON.stringify(name)}`);
    const record: SandboxRecord = { id: generateId(), name, created: new Date().toISOString() };
    this.store.transaction(() => {
      if (this.store.sandboxByName(name)) throw new ConflictError(`sandbox ${name} already exists`);
      this.store.insertSandbox(record);
    });
    try {
      await this.netns.create(name);
    } catch (e) {
      this.store.deleteSandbox(record.id);
      throw e;
    }
    return record;
  }

  /**
   * A container's sandbox: the container's id and name, its namespace named `netns`. Idempotent:
   * an existing sandbox of the container gets its namespace back if it was lost.
   */
  async ensureForContainer(id: string, name: string, netns: string): Promise<{ sandbox: SandboxRecord; ns: NetnsRef }> {
    let record = this.store.sandboxById(id);
    if (!record) {
      record = { id, name, created: new Date().toISOString(), containerId: id, netns };
      const r = record;
      this.store.transaction(() => {
        const other = this.store.sandboxByName(name);
        if (other) throw new ConflictError(`sandbox ${name} already exists`);
        this.store.insertSandbox(r);
      });
    }
    const existing = await this.ref(record);
    if (existing) return { sandbox: record, ns: existing };
    try {
      return { sandbox: record, ns: await this.netns.create(record.netns ?? record.name) };
    } catch (e) {
      if (this.store.endpointsIn(id).length === 0) this.store.deleteSandbox(id);
      throw e;
    }
  }

  /** Remove a container's sandbox (namespace and record); its endpoints must be gone already. */
  async deleteForContainer(id: string): Promise<void> {
    const s = this.store.sandboxById(id);
    if (!s) return;
    const name = s.netns ?? s.name;
    if (await this.netns.get(name)) await this.netns.delete(name);
    if (this.store.endpointsIn(s.id).length === 0) this.store.deleteSandbox(s.id);
  }

  /** Delete a sandbox that has no endpoints left. */
  async delete(name: string): Promise<void> {
    const s = this.store.sandboxByName(name);
    if (!s) throw new NotFoundError(`No such container: ${name}`);
    if (this.store.endpointsIn(s.id).length > 0) throw new ConflictError(`sandbox ${name} is still connected to networks`);
    if (await this.netns.get(s.netns ?? name)) await this.netns.delete(s.netns ?? name);
    this.store.deleteSandbox(s.id);
  }

  /** By name, full id, or unique id prefix, as Docker resolves containers. */
  find(term: string): SandboxRecord {
    const byName = this.store.sandboxByName(term) ?? this.store.sandboxById(term);
    if (byName) return byName;
    const byPrefix = term.length >= 1 ? this.store.listSandboxes().filter((s) => s.id.startsWith(term)) : [];
    if (byPrefix.length === 1) return byPrefix[0];
    if (byPrefix.length > 1) throw new InvalidParameterError(`multiple containers found with provided prefix: ${term}`);
    throw new NotFoundError(`No such container: ${term}`);
  }

  list(): SandboxRecord[] {
    return this.store.listSandboxes();
  }

  async ref(s: SandboxRecord): Promise<NetnsRef | undefined> {
    return this.netns.get(s.netns ?? s.name);
  }
}
