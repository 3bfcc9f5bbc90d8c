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

const output = new Output({
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTty: process.stdout.isTTY === true,
});

void runCli(process.argv, {
  output,
  makeClient: (endpoint, debug) => new NetdClient(endpoint, debug),
  readLine,
}).then((code) => {
  process.exitCode = code;
});
