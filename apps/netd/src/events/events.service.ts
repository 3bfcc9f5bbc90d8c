import type { EventMessage as NetworkEventMessage } from '@app/api';

export type EventType = 'network' | 'container' | 'image' | 'volume';

/** Docker's events.Message; libs/api's type covers networks only, this widens Type and Action. */
export type EventMessage = Omit<NetworkEventMessage, 'Type' | 'Action'> & { Type: EventType; Action: string };

export type EventListener = (e: EventMessage) => void;

/** How many past events `since` can replay (dockerd keeps 256). */
const HISTORY = 256;

/** In-memory event bus with a bounded history, like dockerd's events.Events. */
export class EventsService {
  private readonly history: EventMessage[] = [];
  private readonly listeners = new Set<EventListener>();

  constructor(private readonly now: () => bigint = () => process.hrtime.bigint() + EPOCH_OFFSET) {}

  publish(action: string, id: string, attributes: Record<string, string>, type: EventType = 'network'): EventMessage {
    const ns = this.now();
    const e: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: Number(ns),
    };
    this.history.push(e);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Past events from `sinceNano` on (inclusive), then live ones until the returned unsubscribe. */
  subscribe(sinceNano: bigint | undefined, listener: EventListener): { past: EventMessage[]; unsubscribe: () => void } {
    const past = sinceNano === undefined ? [] : this.history.filter((e) => BigInt(e.timeNano) >= sinceNano);
    this.listeners.add(listener);
    return { past, unsubscribe: () => this.listeners.delete(listener) };
  }

  get subscribers(): number {
    return this.listeners.size;
  }
}

// hrtime is monotonic; anchor it to the wall clock once so timeNano is a Unix time that still
// never goes backwards within a run.
const EPOCH_OFFSET = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
