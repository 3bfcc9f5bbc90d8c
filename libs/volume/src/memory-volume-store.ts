import type { VolumeRecord, VolumeStore } from './volume-store.port';

/** VolumeStore in a Map, for unit tests. */
export class MemoryVolumeStore implements VolumeStore {
  private readonly records = new Map<string, VolumeRecord>();

  get(name: string): VolumeRecord | undefined {
    return this.records.get(name);
  }

  list(): VolumeRecord[] {
    return [...this.records.values()];
  }

  putIfAbsent(record: VolumeRecord): VolumeRecord {
    const old = this.records.get(record.name);
    if (old) return old;
    this.records.set(record.name, record);
    return record;
  }

  delete(name: string): void {
    this.records.delete(name);
  }
}
