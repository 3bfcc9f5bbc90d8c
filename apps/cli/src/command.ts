import type { CommandContext } from './context';

/** One option of a command, in commander's flag syntax (`-d, --driver <name>`). */
export interface OptionDef {
  flags: string;
  description: string;
  default?: string | boolean;
  /** The flag may be given several times; the handler receives a string[] (docker's list opts). */
  repeatable?: boolean;
  choices?: readonly string[];
}

export interface ArgDef {
  name: string;
  required?: boolean;
  variadic?: boolean;
}

export interface Example {
  command: string;
  description?: string;
}

/** What a handler receives: positional arguments (variadic ones flattened) and typed options. */
export interface HandlerInput<Opts> {
  args: string[];
  opts: Opts;
}

/** Runs the command. Returns the exit code (undefined = 0). Throws to report an error. */
export type Handler<Opts> = (input: HandlerInput<Opts>, ctx: CommandContext) => Promise<number | void>;

/**
 * A command as data (wrangler's createCommand idea): everything commander needs to parse and
 * print help, and a loader for the handler so that the bundle imports it only when it runs.
 */
export interface CommandDefinition<Opts = Record<string, unknown>> {
  /** Noun and verb (`['network', 'ls']`) or a single verb (`['version']`). */
  path: readonly string[];
  aliases?: readonly string[];
  description: string;
  args: readonly ArgDef[];
  options: readonly OptionDef[];
  examples: readonly Example[];
  /** Loads the handler lazily: `() => import('./x.handler').then((m) => m.handler)`. */
  handler: () => Promise<Handler<Opts>>;
  /** Does not talk to the daemon (completion): no client is built. */
  local?: boolean;
  /**
   * Options end at the first positional argument (`run IMAGE CMD -x`: `-x` belongs to CMD), as
   * docker's `SetInterspersed(false)`.
   */
  passThrough?: boolean;
  /** `-h` is taken by an option (run's `--hostname`): help is `--help` only. */
  longHelpOnly?: boolean;
}

export function defineCommand<Opts>(def: CommandDefinition<Opts>): CommandDefinition<Opts> {
  return def;
}

/** A noun that groups verbs (`network`). */
export interface GroupDefinition {
  name: string;
  description: string;
}
