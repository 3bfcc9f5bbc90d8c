import { ContainerStore, type ContainerRecord } from '../container-record';

/** Records in a Map, copied in and out so tests cannot mutate the store by accident. */
export class MemoryContainerStore extends ContainerStore {
  private readonly records = new Map<string, string>();

  async get(id: string): Promise<ContainerRecord | undefined> {
    const r = this.records.get(id);
    return r ? (JSON.parse(r) as ContainerRecord) : undefined;
  }

  async list(): Promise<ContainerRecord[]> {
    return [...this.records.values()].map((r) => JSON.parse(r) as ContainerRecord);
  }

  async put(record: ContainerRecord): Promise<void> {
    this.records.set(record.id, JSON.stringify(record));
  }

  async delete(id: string): Promise<void> {
    this.records.delete(id);
  }
}
