import type { NetdApi } from '../client/netd-api';
import { Output } from '../output/output';
import { Readable } from 'node:stream';
import { runCli } from '../program';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs netctl in-process against `client`, with captured output and scripted stdin lines. */
export async function runNetctl(args: readonly string[], client: NetdApi, opts: { stdin?: string[]; stdinData?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const stdin = [...(opts.stdin ?? [])];
  const output = new Output({ stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  const code = await runCli(['node', 'netctl', ...args], {
    output,
    makeClient: () => client,
    readLine: async () => stdin.shift() ?? '',
    env: opts.env ?? {},
    stdio: {
      stdin: Readable.from(opts.stdinData !== undefined ? [Buffer.from(opts.stdinData)] : []),
      stdinIsTty: false,
      setRawMode: () => undefined,
      size: () => undefined,
      writeOut: (c) => void (stdout += Buffer.from(c).toString('utf8')),
      writeErr: (c) => void (stderr += Buffer.from(c).toString('utf8')),
    },
  });
  return { code, stdout, stderr };
}
