/**
 * The streams being served (attach, exec, logs follow, events, wait): they do not end by
 * themselves, so shutdown ends each one instead of waiting for it. `track` returns the
 * function that forgets the stream once it ended on its own.
 */
export class OpenStreams {
  private readonly ends = new Set<() => void>();

  track(end: () => void): () => void {
    this.ends.add(end);
    return () => void this.ends.delete(end);
  }

  get size(): number {
    return this.ends.size;
  }

  /** End every stream; one that throws does not keep the others open. */
  endAll(): void {
    for (const end of [...this.ends]) {
      this.ends.delete(end);
      try {
        end();
      } catch {
        // its socket is gone already; the listener sweep destroys whatever is left
      }
    }
  }
}

/** The daemon's streams (one daemon per process; unit tests that start several end them all). */
export const OPEN_STREAMS = new OpenStreams();
