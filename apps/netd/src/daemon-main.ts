import 'reflect-metadata';
import { runDaemon } from './run-daemon';

runDaemon(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`netd: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);
