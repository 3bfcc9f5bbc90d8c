import { RESOLVER_COMMAND } from './dns/resolver-protocol';
import { runDaemon } from './run-daemon';

/**
 * For a script that bundles the daemon (the benches): the daemon starts its DNS resolver as
 * `<this script> dns-resolver …`, so the script must answer that command itself; a script that
 * ran its own main instead started a bench inside every resolver, which started daemons, which
 * started resolvers. Runs the daemon for `--daemon …` and the resolver for `dns-resolver …` and
 * resolves to the exit code; undefined when argv asks for neither.
 */
export function bundledNetdCommand(argv: readonly string[] = process.argv.slice(2)): Promise<number> | undefined {
  if (argv[0] === '--daemon') return runDaemon(argv.slice(1));
  if (argv[0] === RESOLVER_COMMAND) return import('./dns/resolver-process').then((m) => m.runResolver(argv.slice(1)));
  return undefined;
}
