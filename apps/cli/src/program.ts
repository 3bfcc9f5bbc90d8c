import { Command, CommanderError, Option } from 'commander';
import { isError } from './client/errors';
import { resolveEndpoint, type Endpoint, type HostFlags } from './client/host';
import type { NetdApi } from './client/netd-api';
import type { CommandDefinition, GroupDefinition, OptionDef } from './command';
import { COMMANDS, GROUPS } from './commands';
import { EXIT_ERROR, EXIT_USAGE, type CommandContext, type ReadLine, type Stdio } from './context';
import { Readable } from 'node:stream';
import * as messages from './messages';
import type { Output } from './output/output';
import { VERSION } from './version';

export interface CliDeps {
  output: Output;
  makeClient: (endpoint: Endpoint, debug: (line: string) => void) => NetdApi;
  readLine: ReadLine;
  /** Byte streams and the terminal; tests leave it out (empty stdin, no TTY). */
  stdio?: Stdio;
  env?: NodeJS.ProcessEnv;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- definitions differ in options type
  commands?: readonly CommandDefinition<any>[];
  groups?: readonly GroupDefinition[];
}

interface GlobalOptions extends HostFlags {
  debug?: boolean;
  config?: string;
}

/** Parses argv (node, script, …args), runs the command and returns the exit code. Never throws. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<number> {
  const state = { code: 0, debug: false };
  const program = buildProgram(deps, state, commandWord(argv));
  try {
    await program.parseAsync(argv as string[], { from: 'node' });
    return state.code;
  } catch (e) {
    return reportError(e, deps.output, state.debug);
  }
}

/** The commander program with every command registered; `state` receives the exit code. */
export function buildProgram(deps: CliDeps, state: { code: number; debug: boolean }, only?: string): Command {
  const { output } = deps;
  const program = new Command(messages.PROGRAM)
    .description(messages.DESCRIPTION)
    .usage('[OPTIONS] COMMAND')
    .enablePositionalOptions()
    .option('-H, --host <string>', messages.flags.host)
    .option('--tls', messages.flags.tls)
    .option('--tlsverify', messages.flags.tlsverify)
    .option('--tlscacert <path>', messages.flags.tlscacert)
    .option('--tlscert <path>', messages.flags.tlscert)
    .option('--tlskey <path>', messages.flags.tlskey)
    .option('--config <string>', messages.flags.config)
    .option('-D, --debug', messages.flags.debug)
    .version(VERSION, '-v, --version', messages.flags.version)
    .helpOption('-h, --help', messages.flags.help);
  configure(program, output);

  const groups = new Map<string, Command>();
  for (const g of deps.groups ?? GROUPS) {
    const group = program.command(g.name).description(g.description).usage('COMMAND');
    configure(group, output);
    groups.set(g.name, group);
  }

  const all = deps.commands ?? COMMANDS;
  // Registering ~40 commands costs start-up time; a run needs only the one it names.
  const chosen = only ? all.filter((d) => d.path[0] === only || d.aliases?.includes(only)) : [];
  for (const def of chosen.length ? chosen : all) {
    const parent = def.path.length > 1 ? groups.get(def.path[0]) : program;
    if (!parent) throw new Error(`command ${def.path.join(' ')}: unknown group ${def.path[0]}`);
    const cmd = parent.command(def.path[def.path.length - 1]).description(def.description);
    configure(cmd, output);
    for (const alias of def.aliases ?? []) cmd.alias(alias);
    if (def.passThrough) cmd.passThroughOptions();
    if (def.longHelpOnly) cmd.helpOption('--help', messages.flags.help);
    for (const a of def.args) cmd.argument(a.required ? `<${a.name}${a.variadic ? '...' : ''}>` : `[${a.name}${a.variadic ? '...' : ''}]`);
    for (const o of def.options) cmd.addOption(toOption(o));
    if (def.examples.length) cmd.addHelpText('after', formatExamples(def));
    cmd.action(async () => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      state.debug = Boolean(globals.debug);
      const opts: Record<string, unknown> = { ...cmd.opts() };
      for (const o of def.options) {
        const key = new Option(o.flags).attributeName();
        if (o.repeatable) opts[key] ??= [];
      }
      const args = cmd.processedArgs.flat().filter((a): a is string => typeof a === 'string');
      const ctx = makeContext(deps, globals, def.local === true);
      const handler = await def.handler();
      state.code = (await handler({ args, opts }, ctx)) ?? 0;
    });
  }
  return program;
}

const GLOBAL_VALUE_FLAGS = new Set(['-H', '--host', '--tlscacert', '--tlscert', '--tlskey', '--config']);

/** The first word after the global options (`network` in `netctl -H x network ls`). */
function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) return a;
    if (GLOBAL_VALUE_FLAGS.has(a)) i++;
  }
  return undefined;
}

function configure(cmd: Command, output: Output): void {
  cmd.exitOverride().configureOutput({
    writeOut: (s) => output.write(s),
    writeErr: (s) => output.error(s.replace(/\n$/, '')),
  });
}

function toOption(o: OptionDef): Option {
  const opt = new Option(o.flags, o.description);
  if (o.repeatable) opt.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
  if (o.default !== undefined) opt.default(o.default);
  if (o.choices) opt.choices(o.choices);
  return opt;
}

function formatExamples(def: CommandDefinition<unknown>): string {
  const lines = def.examples.map((e) => `  $ ${e.command}${e.description ? `\n      ${e.description}` : ''}`);
  return `\n${messages.examplesHeading}\n${lines.join('\n')}\n`;
}

function makeContext(deps: CliDeps, globals: GlobalOptions, local: boolean): CommandContext {
  let client: NetdApi | undefined;
  const debug = (line: string) => {
    if (globals.debug) deps.output.error(`DEBU ${line}`);
  };
  return {
    get client(): NetdApi {
      if (local) throw new Error('this command does not talk to the daemon');
      return (client ??= deps.makeClient(resolveEndpoint(globals, deps.env ?? process.env), debug));
    },
    output: deps.output,
    messages,
    readLine: deps.readLine,
    stdio: deps.stdio ?? nullStdio(deps.output),
    configDir: globals.config,
    env: deps.env ?? process.env,
  };
}

function nullStdio(output: Output): Stdio {
  return {
    stdin: Readable.from([]),
    stdinIsTty: false,
    setRawMode: () => undefined,
    size: () => undefined,
    writeOut: (c) => output.write(Buffer.from(c).toString('utf8')),
    writeErr: (c) => output.writeErr(Buffer.from(c).toString('utf8')),
  };
}

/** Prints an error the way docker does and returns the exit code. */
export function reportError(e: unknown, output: Output, debug: boolean): number {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return 0;
    const usage = ['commander.unknownOption', 'commander.optionMissingArgument', 'commander.invalidArgument', 'commander.unknownCommand'];
    return usage.includes(e.code) ? EXIT_USAGE : e.exitCode;
  }
  if (isError(e, 'DaemonError')) output.error(messages.daemonError(e.message));
  else if (isError(e, 'ConnectionError')) output.error(messages.cannotConnect(e.host));
  else if (isError(e, 'UsageError')) output.error(e.message);
  else if (isError(e, 'TemplateError')) output.error(messages.templateError(e.message));
  else output.error(messages.genericError(e instanceof Error ? e.message : String(e)));
  if (debug && e instanceof Error) output.error(String(e.stack ?? e) + (e.cause ? `\ncause: ${String((e.cause as Error).stack ?? e.cause)}` : ''));
  return isError(e, 'UsageError') ? e.exitCode : EXIT_ERROR;
}
