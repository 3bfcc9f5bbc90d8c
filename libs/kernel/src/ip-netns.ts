import { ConflictError, NotFoundError, SystemError } from '@app/common';
import { existsSync, readdirSync } from 'node:fs';
import { describeRun, runCommand } from './exec';
import type { NetnsRef } from './netlink.port';
import { checkNetnsName } from './netns-name';
import { Netns } from './netns.port';
import { releaseNetns } from './netns-release';

const DIR = '/run/netns';

/**
 * Namespaces through `ip netns` (one spawn per verb): the fallback and test oracle for
 * InProcessNetns. iproute2 fixes the directory to /run/netns.
 */
export class IpNetns extends Netns {
  constructor(private readonly ip = 'ip') {
    super();
  }

  async create(name: string): Promise<NetnsRef> {
    checkNetnsName(name);
    if (existsSync(`${DIR}/${name}`)) throw new ConflictError(`network namespace ${name} already exists`);
    await this.run(['netns', 'add', name]);
    return { path: `${DIR}/${name}` };
  }

  async delete(name: string): Promise<void> {
    checkNetnsName(name);
    if (!existsSync(`${DIR}/${name}`)) throw new NotFoundError(`network namespace ${name} not found`);
    releaseNetns(`${DIR}/${name}`);
    await this.run(['netns', 'delete', name]);
  }

  async get(name: string): Promise<NetnsRef | undefined> {
    checkNetnsName(name);
    return existsSync(`${DIR}/${name}`) ? { path: `${DIR}/${name}` } : undefined;
  }

  async list(): Promise<string[]> {
    return existsSync(DIR) ? readdirSync(DIR).sort() : [];
  }

  private async run(args: string[]): Promise<void> {
    const r = await runCommand(this.ip, args, { timeoutMs: 10_000 });
    if (r.code === 0) return;
    const line = describeRun(this.ip, args, r);
    if (/File exists/.test(r.stderr)) throw new ConflictError(line);
    if (/No such file/.test(r.stderr)) throw new NotFoundError(line);
    throw new SystemError(line);
  }
}
