import { goJson } from './go-json';
import { tabwrite } from './tabwriter';

/** Where a command's text goes. Tests pass string sinks; main passes process streams. */
export interface OutputSinks {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stdout is a terminal (enables colour; never changes the text scripts parse). */
  isTty?: boolean;
}

/**
 * The one way commands print. Everything scripts read goes to stdout; warnings, prompts' errors
 * and daemon errors go to stderr, as docker does.
 */
export class Output {
  constructor(private readonly sinks: OutputSinks) {}

  get isTty(): boolean {
    return this.sinks.isTty ?? false;
  }

  /** Raw text to stdout; nothing at all for '' (an empty list), so stdout is never opened for it. */
  write(text: string): void {
    if (text) this.sinks.stdout(text);
  }

  /** One line to stdout. */
  line(text = ''): void {
    this.sinks.stdout(text + '\n');
  }

  /** Raw text to stderr. */
  writeErr(text: string): void {
    this.sinks.stderr(text);
  }

  /** One line to stderr. */
  error(text: string): void {
    this.sinks.stderr(text + '\n');
  }

  /** `JSON.stringify` with Go's HTML-safe escaping, `indent` spaces (docker uses 4 for inspect). */
  json(value: unknown, indent = 4): void {
    this.line(goJson(value, { indent: ' '.repeat(indent) }));
  }

  /**
   * A docker-style table: the header, then one row per record, columns aligned like Go's
   * tabwriter (minwidth 10, padding 3). `columns` maps each key to its header.
   */
  table<Keys extends string>(columns: Record<Keys, string>, rows: readonly Record<Keys, string>[]): void {
    const keys = Object.keys(columns) as Keys[];
    const lines = [keys.map((k) => columns[k]), ...rows.map((r) => keys.map((k) => r[k]))];
    this.write(tabwrite(lines.map((cells) => cells.join('\t') + '\n').join('')));
  }
}
