/**
 * One async queue per key: work on the same key runs one at a time in arrival order, different
 * keys run in parallel. Queues are dropped when they drain, so keys do not accumulate.
 *
 * The daemon keys one instance by container id and by network id (both random 64-hex ids).
 * Lock order: a container's key, then a network's key, never the other way round. Container
 * network work (setUp, tearDown, connect, disconnect) holds the container's key and takes the
 * network's inside it (EndpointsService, NetworksService.delete); nothing holding a network's key
 * waits for a container's. ContainerManager's own per-container lock (start, stop, delete) comes
 * before both: a start holds it while setUp takes the container's key here. Records a locked
 * operation changes are read after its lock is taken, never before.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with queued or running work. */
  get busyKeys(): number {
    return this.tails.size;
  }
}
