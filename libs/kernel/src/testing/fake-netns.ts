import { ConflictError, NotFoundError } from '@app/common';
import { checkNetnsName } from '../netns-name';
import { Netns } from '../netns.port';
import type { NetnsRef } from '../netlink.port';
import type { FakeNetlink } from './fake-netlink';

/**
 * Named namespaces in memory. Wired to a FakeNetlink, a created namespace appears in the model
 * (with `lo`) and a deleted one takes its links, and their veth peers elsewhere, with it.
 */
export class FakeNetns extends Netns {
  private readonly names = new Set<string>();

  constructor(
    private readonly netlink?: FakeNetlink,
    readonly dir = '/run/netns',
  ) {
    super();
  }

  refOf(name: string): NetnsRef {
    return { path: `${this.dir}/${name}` };
  }

  async create(name: string): Promise<NetnsRef> {
    checkNetnsName(name);
    if (this.names.has(name)) throw new ConflictError(`network namespace ${name} already exists`);
    this.names.add(name);
    const ref = this.refOf(name);
    this.netlink?.addNamespace(ref);
    return ref;
  }

  async delete(name: string): Promise<void> {
    checkNetnsName(name);
    if (!this.names.delete(name)) throw new NotFoundError(`network namespace ${name} not found`);
    const ref = this.refOf(name);
    if (this.netlink?.hasNamespace(ref)) this.netlink.removeNamespace(ref);
  }

  async get(name: string): Promise<NetnsRef | undefined> {
    return this.names.has(name) ? this.refOf(name) : undefined;
  }

  async list(): Promise<string[]> {
    return [...this.names].sort();
  }
}
