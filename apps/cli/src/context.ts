import type { NetdApi } from './client/netd-api';
import type * as Messages from './messages';
import type { Output } from './output/output';

/** Reads one line of stdin (the answer to a prompt the handler printed); '' at end of input. */
export type ReadLine = () => Promise<string>;

/** What every handler gets besides its arguments and options. */
export interface CommandContext {
  client: NetdApi;
  output: Output;
  messages: typeof Messages;
  readLine: ReadLine;
}

/** docker's exit codes: 0 ok, 1 daemon or command error, 125 flag errors (and `run` before start). */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 125;
