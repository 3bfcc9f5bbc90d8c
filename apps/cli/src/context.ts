import type { NetdApi } from './client/netd-api';
import type * as Messages from './messages';
import type { Output } from './output/output';

/** Reads one line of stdin (the answer to a prompt the handler printed); '' at end of input. */
export type ReadLine = () => Promise<string>;

/**
 * The terminal and raw byte streams, for the commands that move bytes (attach, logs, exec, save,
 * load, build) or switch the terminal to raw mode (`-it`). Tests pass in-memory streams.
 */
export interface Stdio {
  stdin: AsyncIterable<Uint8Array> & NodeJS.ReadableStream;
  stdinIsTty: boolean;
  /** Raw mode on a TTY stdin (no-op otherwise). */
  setRawMode(on: boolean): void;
  /** Terminal size, when stdout is one. */
  size(): { rows: number; columns: number } | undefined;
  /** Bytes as they are, to stdout or stderr (container output, tars). */
  writeOut(chunk: Uint8Array): void | Promise<void>;
  writeErr(chunk: Uint8Array): void | Promise<void>;
  /** stdout as a stream, for progress bars (cli-progress) when it is a TTY. */
  progressStream?: NodeJS.WritableStream;
}

/** What every handler gets besides its arguments and options. */
export interface CommandContext {
  client: NetdApi;
  output: Output;
  messages: typeof Messages;
  readLine: ReadLine;
  stdio: Stdio;
  env: NodeJS.ProcessEnv;
  /** `--config`: the client configuration directory (docker's, holding config.json). */
  configDir?: string;
}

/** docker's exit codes: 0 ok, 1 daemon or command error, 125 flag errors (and `run` before start). */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 125;
/** `run`: the command could not be invoked (126) or found (127) in the container. */
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;
