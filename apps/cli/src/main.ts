import { NetdClient } from './client/netd-client';
import { Output } from './output/output';
import { runCli } from './program';

/** Reads one line of stdin, then lets go of it so the process can exit. */
function readLine(): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      process.stdin.off('data', onData).off('end', done).pause();
      resolve(text.split('\n')[0]);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes('\n')) done();
    };
    process.stdin.on('data', onData).on('end', done).resume();
  });
}

/** Writes and waits for drain, so a large tar or log does not pile up in memory. */
function writeTo(stream: NodeJS.WriteStream, chunk: Uint8Array): void | Promise<void> {
  if (stream.write(chunk)) return;
  return new Promise((resolve) => stream.once('drain', resolve));
}

// process.stdout and process.stdin are built on first touch (~1–3 ms each): only when needed.
const output = new Output({
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  get isTty() {
    return process.stdout.isTTY === true;
  },
});

void runCli(process.argv, {
  output,
  makeClient: (endpoint, debug) => new NetdClient(endpoint, debug),
  readLine,
  stdio: {
    get stdin() {
      return process.stdin;
    },
    get stdinIsTty() {
      return process.stdin.isTTY === true;
    },
    setRawMode: (on) => {
      if (process.stdin.isTTY) process.stdin.setRawMode(on);
    },
    size: () => (process.stdout.isTTY ? { rows: process.stdout.rows, columns: process.stdout.columns } : undefined),
    writeOut: (c) => writeTo(process.stdout, c),
    writeErr: (c) => writeTo(process.stderr, c),
    get progressStream() {
      return process.stdout.isTTY ? process.stdout : undefined;
    },
  },
}).then((code) => {
  process.exitCode = code;
});
