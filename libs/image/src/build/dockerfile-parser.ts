import { InvalidParameterError } from '@app/common';

/** Instructions netd knows. Anything else is a parse error, as in BuildKit. */
export const INSTRUCTIONS = [
  'from', 'arg', 'env', 'label', 'workdir', 'user', 'copy', 'add', 'run', 'cmd', 'entrypoint', 'expose',
  'volume', 'stopsignal', 'shell', 'healthcheck', 'onbuild', 'maintainer',
] as const;
export type InstructionName = (typeof INSTRUCTIONS)[number];

/** Instructions whose arguments may be a JSON array (exec form). */
const JSON_FORM: ReadonlySet<string> = new Set(['run', 'cmd', 'entrypoint', 'copy', 'add', 'shell', 'volume']);

export interface Instruction {
  name: InstructionName;
  /** `--key=value` flags before the arguments (`--from`, `--chown`, `--network`, …). */
  flags: Record<string, string>;
  /** The argument text after the flags, continuation lines joined, unexpanded. */
  rest: string;
  /** Exec-form arguments when `rest` is a JSON array of strings. */
  json?: string[];
  /** 1-based line of the instruction's first line. */
  line: number;
  /** The instruction as written (joined), for history and cache keys. */
  original: string;
}

export interface Dockerfile {
  escape: '\\' | '`';
  instructions: Instruction[];
}

export function parseError(line: number, message: string): InvalidParameterError {
  return new InvalidParameterError(`dockerfile parse error on line ${line}: ${message}`);
}

const DIRECTIVE_RE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;

/** Parse a Dockerfile: parser directives, comments, line continuations, flags, exec form. */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape: '\\' | '`' = '\\';
  let i = 0;
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = DIRECTIVE_RE.exec(lines[i]);
    if (!m) break;
    const key = m[1].toLowerCase();
    if (seen.has(key)) throw parseError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw parseError(i + 1, `invalid escape token '${m[2]}' does not match ` + '` or \\');
      escape = m[2];
    }
  }
  const instructions: Instruction[] = [];
  while (i < lines.length) {
    const start = i;
    const raw = lines[i++];
    if (/^\s*(#|$)/.test(raw)) continue;
    let joined = raw.replace(/^\s+/, '');
    while (endsWithEscape(joined, escape)) {
      joined = joined.replace(/\s*$/, '').slice(0, -1);
      while (i < lines.length && /^\s*(#|$)/.test(lines[i])) i++;
      if (i >= lines.length) break;
      joined += lines[i++].replace(/^\s+/, '');
    }
    instructions.push(parseInstruction(joined, start + 1));
  }
  return { escape, instructions };
}

function endsWithEscape(line: string, escape: string): boolean {
  const t = line.replace(/\s+$/, '');
  return t.endsWith(escape);
}

function parseInstruction(text: string, line: number): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(text);
  if (!m) throw parseError(line, 'empty instruction');
  const name = m[1].toLowerCase();
  if (!(INSTRUCTIONS as readonly string[]).includes(name)) throw parseError(line, `unknown instruction: ${m[1]}`);
  let rest = m[2].trim();
  const flags: Record<string, string> = {};
  for (let f = /^--([a-z][a-z-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest); f; f = /^--([a-z][a-z-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest)) {
    if (f[2] === undefined) throw parseError(line, `flag --${f[1]} needs a value (--${f[1]}=...)`);
    flags[f[1]] = f[2];
    rest = rest.slice(f[0].length);
  }
  const ins: Instruction = { name: name as InstructionName, flags, rest, line, original: text.trim() };
  if (JSON_FORM.has(name) && rest.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(rest);
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) ins.json = v;
    } catch {
      /* not JSON: shell form, as Docker treats it */
    }
  }
  if (rest === '' && !['cmd', 'entrypoint'].includes(name)) throw parseError(line, `${name.toUpperCase()} requires at least one argument`);
  return ins;
}

/**
 * Split shell-like words: quotes group, the escape character escapes (not inside single
 * quotes). Used for COPY/ADD sources, ENV/LABEL pairs, EXPOSE, FROM.
 */
export function splitWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === escape && quote !== "'" && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new InvalidParameterError(`unterminated quote in: ${text}`);
  if (inWord) words.push(cur);
  return words;
}

/** `KEY=value KEY2="v 2"` or the legacy `KEY value with spaces` form (ENV, LABEL). */
export function parseKeyValues(text: string, escape: string, line: number, what: string): Array<[string, string]> {
  const words = splitWords(text, escape);
  if (words.length === 0) throw parseError(line, `${what} requires at least one argument`);
  if (!words[0].includes('=')) {
    if (words.length < 2) throw parseError(line, `${what} must have two arguments`);
    return [[words[0], text.trim().slice(text.trim().indexOf(words[0]) + words[0].length).trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw parseError(line, `${what} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/**
 * Expand `$VAR`, `${VAR}`, `${VAR:-default}` and `${VAR:+alt}` as Docker does for
 * FROM/COPY/ADD/ENV/LABEL/WORKDIR/USER/EXPOSE; the escape character keeps a literal `$`.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>, escape = '\\'): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === escape && text[i + 1] === '$') {
      out += '$';
      i++;
    } else if (c === '$' && text[i + 1] === '{') {
      const end = text.indexOf('}', i);
      if (end < 0) throw new InvalidParameterError(`missing '}' in: ${text}`);
      const body = text.slice(i + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/.exec(body);
      if (!m) throw new InvalidParameterError(`bad substitution: \${${body}}`);
      const v = vars.get(m[1]);
      if (m[2] === '-') out += v ? v : m[3];
      else if (m[2] === '+') out += v ? m[3] : '';
      else out += v ?? '';
      i = end;
    } else if (c === '$' && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1)) as RegExpExecArray;
      out += vars.get(m[0]) ?? '';
      i += m[0].length;
    } else {
      out += c;
    }
  }
  return out;
}
