import { ConflictError } from '@app/common';

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Docker's zero time, shown for StartedAt/FinishedAt that never happened. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's `State` object of `GET /containers/{id}/json`, camelCased. */
export interface ContainerState {
  readonly status: ContainerStatus;
  readonly running: boolean;
  readonly paused: boolean;
  readonly restarting: boolean;
  readonly oomKilled: boolean;
  readonly dead: boolean;
  /** Host pid of the container's init while running, else 0. */
  readonly pid: number;
  readonly exitCode: number;
  readonly error: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export const INITIAL_STATE: ContainerState = {
  status: 'created',
  running: false,
  paused: false,
  restarting: false,
  oomKilled: false,
  dead: false,
  pid: 0,
  exitCode: 0,
  error: '',
  startedAt: ZERO_TIME,
  finishedAt: ZERO_TIME,
};

export type StateEvent =
  | { readonly type: 'start'; readonly pid: number; readonly at: Date }
  | { readonly type: 'exit'; readonly exitCode: number; readonly at: Date; readonly oomKilled?: boolean }
  /** Start failed before the process ran (Docker keeps it `created`, exit code 128 + error). */
  | { readonly type: 'start-failed'; readonly error: string; readonly exitCode?: number }
  | { readonly type: 'restarting' }
  /** Frozen (runc pause): still running, as Docker shows it (Running and Paused both true). */
  | { readonly type: 'pause' }
  | { readonly type: 'unpause' }
  | { readonly type: 'removing' }
  /** Removal failed half-way: Docker marks the container dead. */
  | { readonly type: 'dead'; readonly error: string };

/** Which events each status accepts; anything else is a Conflict. */
const ALLOWED: Record<ContainerStatus, readonly StateEvent['type'][]> = {
  created: ['start', 'start-failed', 'removing', 'exit'],
  running: ['exit', 'removing', 'pause'],
  paused: ['exit', 'removing', 'unpause'],
  restarting: ['start', 'start-failed', 'exit', 'removing'],
  exited: ['start', 'start-failed', 'restarting', 'removing'],
  removing: ['dead', 'exit'],
  dead: ['removing'],
};

/** The next state. Pure; invalid transitions throw ConflictError naming both ends. */
export function transition(state: ContainerState, event: StateEvent): ContainerState {
  if (!ALLOWED[state.status].includes(event.type)) {
    throw new ConflictError(`cannot ${event.type} a container that is ${state.status}`);
  }
  switch (event.type) {
    case 'start':
      return {
        ...INITIAL_STATE,
        status: 'running',
        running: true,
        pid: event.pid,
        startedAt: event.at.toISOString(),
        finishedAt: state.finishedAt,
      };
    case 'exit':
      return {
        ...state,
        status: state.status === 'removing' ? 'removing' : 'exited',
        running: false,
        paused: false,
        restarting: false,
        pid: 0,
        exitCode: event.exitCode,
        oomKilled: event.oomKilled ?? false,
        finishedAt: event.at.toISOString(),
      };
    case 'start-failed':
      return { ...state, status: state.status === 'restarting' ? 'exited' : state.status, restarting: false, exitCode: event.exitCode ?? 128, error: event.error };
    case 'restarting':
      return { ...state, status: 'restarting', restarting: true };
    case 'removing':
      return { ...state, status: 'removing' };
    case 'pause':
      return { ...state, status: 'paused', paused: true };
    case 'unpause':
      return { ...state, status: 'running', paused: false };
    case 'dead':
      return { ...state, status: 'dead', dead: true, running: false, pid: 0, error: event.error };
  }
}

/** Docker's `Status` column of `ps`: "Up 5 minutes", "Exited (0) 2 hours ago", "Created". */
export function describeStatus(state: ContainerState, now: Date): string {
  switch (state.status) {
    case 'running':
      return `Up ${humanDuration(now.getTime() - Date.parse(state.startedAt))}`;
    case 'paused':
      return `Up ${humanDuration(now.getTime() - Date.parse(state.startedAt))} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${humanDuration(now.getTime() - Date.parse(state.finishedAt))} ago`;
    case 'exited':
      return `Exited (${state.exitCode}) ${humanDuration(now.getTime() - Date.parse(state.finishedAt))} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
  }
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}
