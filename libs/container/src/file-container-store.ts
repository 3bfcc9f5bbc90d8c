import { isFullId } from '@app/common';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ContainerStore, type ContainerRecord } from './container-record';
import { containerPaths } from './layout';

/**
 * One `netd.json` per container in its own directory (Docker's `config.v2.json` idea): the
 * record sits beside the bundle, log and exit file, and is replaced by rename so a crash
 * leaves either the old or the new record.
 */
export class FileContainerStore extends ContainerStore {
  constructor(private readonly stateDir: string) {
    super();
  }

  async get(id: string): Promise<ContainerRecord | undefined> {
    try {
      return JSON.parse(await readFile(containerPaths(this.stateDir, id).record, 'utf8')) as ContainerRecord;
    } catch {
      return undefined;
    }
  }

  async list(): Promise<ContainerRecord[]> {
    const ids = await readdir(this.stateDir).catch(() => [] as string[]);
    const records = await Promise.all(ids.filter(isFullId).map((id) => this.get(id)));
    return records.filter((r): r is ContainerRecord => r !== undefined);
  }

  async put(record: ContainerRecord): Promise<void> {
    const file = containerPaths(this.stateDir, record.id).record;
    await writeFile(`${file}.tmp`, JSON.stringify(record));
    await rename(`${file}.tmp`, file);
  }

  async delete(id: string): Promise<void> {
    await rm(containerPaths(this.stateDir, id).record, { force: true });
  }
}
