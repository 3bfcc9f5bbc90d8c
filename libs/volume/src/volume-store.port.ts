/** What a volume is, apart from its data: what `GET /volumes/{name}` reports. */
export interface VolumeRecord {
  readonly name: string;
  /** Always `local` for now; other drivers are refused at create. */
  readonly driver: string;
  /**
   * As the client sent them: `null` when the request had no Labels (Docker then reports
   * `"Labels": null`), `{}` when it sent an empty map (the docker CLI does).
   */
  readonly labels: Record<string, string> | null;
  /** Driver options; `null` when none. */
  readonly options: Record<string, string> | null;
  /** RFC 3339, seconds precision, UTC (`2026-12-06T08:35:49Z`). */
  readonly createdAt: string;
  readonly scope: 'local';
}

/**
 * Persistence of volume metadata. The daemon implements it in SQLite; MemoryVolumeStore serves
 * unit tests. The directories are not the store's business (the driver owns them).
 */
export interface VolumeStore {
  /** The record of `name`, or undefined. Never throws for a missing name. */
  get(name: string): VolumeRecord | undefined;
  /** Every record, in no particular order. */
  list(): VolumeRecord[];
  /**
   * Insert the record unless one of that name exists; returns the stored one (the existing one
   * when there was one), so a concurrent create of one name ends with a single record.
   */
  putIfAbsent(record: VolumeRecord): VolumeRecord;
  /** Delete the record of `name`; a missing name is not an error. */
  delete(name: string): void;
}
