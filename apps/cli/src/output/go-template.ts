import { goJson } from './go-json';
import { goString } from './go-value';
import { TemplateError } from './template-error';

export { TemplateError };

/**
 * A subset of Go's text/template with docker's functions, enough for `--format`: field chains
 * (`.IPAM.Config`), method-like fields with arguments (`.Label "x"`), literals, pipes, parentheses,
 * `range`/`if`/`with` … `else` … `end`, `{{-`/`-}}` trimming, and the functions json, join,
 * split, upper, lower, title, pad, truncate, len, index, printf, print, println, eq, ne, not, and, or.
 */

type Arg = { k: 'dot' } | { k: 'field'; base: Arg | null; names: string[] } | { k: 'lit'; v: unknown } | { k: 'fn'; name: string } | { k: 'pipe'; p: Pipe };
type Cmd = Arg[];
type Pipe = Cmd[];
type Node =
  | { t: 'text'; v: string }
  | { t: 'out'; p: Pipe }
  | { t: 'range' | 'if' | 'with'; p: Pipe; body: Node[]; alt: Node[] };

export type Template = (data: unknown) => string;

/** `header`: docker's HeaderFunctions, where every function returns its first argument. */
export function compileTemplate(src: string, opts: { header?: boolean } = {}): Template {
  const nodes = parse(src);
  return (data) => {
    funcs = opts.header ? HEADER_FUNCS : FUNCS;
    return exec(nodes, data);
  };
}

function parse(src: string): Node[] {
  const root: Node[] = [];
  const stack: { node: Extract<Node, { body: Node[] }>; inAlt: boolean; list: Node[] }[] = [];
  let list = root;
  let pos = 0;
  let trimNext = false;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    let text = src.slice(pos, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) list.push({ t: 'text', v: text });
      break;
    }
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('template: :1: unclosed action');
    let inner = src.slice(open + 2, close);
    if (inner.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = inner.endsWith(' -');
    if (trimNext) inner = inner.slice(0, -1);
    if (text) list.push({ t: 'text', v: text });
    pos = close + 2;
    const tokens = lex(inner.trim());
    const head = tokens[0];
    if (head === 'end' || head === 'else') {
      const top = stack[stack.length - 1];
      if (!top) throw new TemplateError(`template: :1: unexpected {{${head}}}`);
      if (head === 'else' && !top.inAlt) {
        top.inAlt = true;
        list = top.node.alt;
      } else if (head === 'end') {
        stack.pop();
        list = top.list;
      } else {
        throw new TemplateError('template: :1: expected end; found else');
      }
    } else if (head === 'range' || head === 'if' || head === 'with') {
      const node = { t: head, p: parsePipe(tokens.slice(1)), body: [], alt: [] } as Extract<Node, { body: Node[] }>;
      list.push(node);
      stack.push({ node, inAlt: false, list });
      list = node.body;
    } else if (tokens.length > 0) {
      list.push({ t: 'out', p: parsePipe(tokens) });
    }
  }
  if (stack.length) throw new TemplateError('template: :1: unexpected EOF');
  return root;
}

function lex(s: string): string[] {
  const out: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||[^\s()|]+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) out.push(m[1]);
  return out;
}

function parsePipe(tokens: string[]): Pipe {
  const pipe: Pipe = [];
  let cmd: Cmd = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '|') {
      pipe.push(cmd);
      cmd = [];
    } else if (t === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < tokens.length && depth > 0; j++) depth += tokens[j] === '(' ? 1 : tokens[j] === ')' ? -1 : 0;
      if (depth) throw new TemplateError('template: :1: unclosed left paren');
      const sub: Arg = { k: 'pipe', p: parsePipe(tokens.slice(i + 1, j - 1)) };
      const next = tokens[j];
      if (next?.startsWith('.') && next.length > 1) {
        cmd.push({ k: 'field', base: sub, names: next.slice(1).split('.') });
        j++;
      } else cmd.push(sub);
      i = j - 1;
    } else cmd.push(parseOperand(t));
  }
  if (cmd.length === 0) throw new TemplateError('template: :1: missing value for command');
  pipe.push(cmd);
  return pipe;
}

function parseOperand(t: string): Arg {
  if (t === '.') return { k: 'dot' };
  if (t.startsWith('.')) return { k: 'field', base: null, names: t.slice(1).split('.') };
  if (t.startsWith('"')) return { k: 'lit', v: JSON.parse(t) };
  if (t.startsWith('`')) return { k: 'lit', v: t.slice(1, -1) };
  if (t === 'true' || t === 'false') return { k: 'lit', v: t === 'true' };
  if (t === 'nil') return { k: 'lit', v: null };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { k: 'lit', v: Number(t) };
  if (t in FUNCS) return { k: 'fn', name: t };
  throw new TemplateError(`template: :1: function "${t}" not defined`);
}

function exec(nodes: Node[], dot: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.v;
    else if (n.t === 'out') out += goString(evalPipe(n.p, dot), fieldName(n.p));
    else {
      const v = evalPipe(n.p, dot);
      if (n.t === 'range') {
        const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : [];
        out += items.length ? items.map((item) => exec(n.body, item)).join('') : exec(n.alt, dot);
      } else if (truthy(v)) out += exec(n.body, n.t === 'with' ? v : dot);
      else out += exec(n.alt, dot);
    }
  }
  return out;
}

/** The field a pipe ends in, so that a map prints as `map[…]` and not as a struct. */
function fieldName(p: Pipe): string | undefined {
  const cmd = p[p.length - 1];
  const a = cmd.length === 1 ? cmd[0] : undefined;
  return a?.k === 'field' ? a.names[a.names.length - 1] : undefined;
}

function evalPipe(p: Pipe, dot: unknown): unknown {
  let prev: unknown;
  p.forEach((cmd, i) => {
    const extra = i > 0 ? [prev] : [];
    prev = evalCmd(cmd, dot, extra);
  });
  return prev;
}

function evalCmd(cmd: Cmd, dot: unknown, piped: unknown[]): unknown {
  const [head, ...rest] = cmd;
  const args = () => [...rest.map((a) => evalArg(a, dot)), ...piped];
  if (head.k === 'fn') return funcs[head.name](...args());
  if (head.k === 'field') {
    const fieldArgs = args();
    return evalField(head, dot, fieldArgs);
  }
  if (rest.length || piped.length) throw new TemplateError("template: :1: can't give argument to non-function");
  return evalArg(head, dot);
}

function evalArg(a: Arg, dot: unknown): unknown {
  switch (a.k) {
    case 'dot':
      return dot;
    case 'lit':
      return a.v;
    case 'pipe':
      return evalPipe(a.p, dot);
    case 'field':
      return evalField(a, dot, []);
    case 'fn':
      return funcs[a.name]();
  }
}

function evalField(a: Extract<Arg, { k: 'field' }>, dot: unknown, args: unknown[]): unknown {
  let v = a.base ? evalArg(a.base, dot) : dot;
  a.names.forEach((name, i) => {
    if (v === null || v === undefined) throw new TemplateError(`template: :1: nil pointer evaluating .${name}`);
    if (typeof v !== 'object') throw new TemplateError(`template: :1: can't evaluate field ${name} in type ${typeof v}`);
    const next = (v as Record<string, unknown>)[name];
    const last = i === a.names.length - 1;
    if (typeof next === 'function') v = next.apply(v, last ? args : []);
    else if (last && args.length) throw new TemplateError(`template: :1: can't give argument to non-function .${name}`);
    else v = next;
  });
  return v;
}

/** A value with its own JSON form, like a Go type with MarshalJSON (docker's list contexts). */
export interface MarshalsJson {
  marshalJson(): string;
}

function hasMarshalJson(v: unknown): v is MarshalsJson {
  return typeof (v as Partial<MarshalsJson> | null)?.marshalJson === 'function';
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

function strs(v: unknown, fn: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new TemplateError(`template: :1: executing "" at <${fn}>: wrong type for value; expected []string; got ${Array.isArray(v) ? '[]interface {}' : typeof v}`);
  }
  return v;
}

const FUNCS: Record<string, (...a: unknown[]) => unknown> = {
  json: (v) => (hasMarshalJson(v) ? v.marshalJson() : goJson(v, { escapeHtml: false })),
  join: (v, sep) => strs(v, 'join').join(String(sep)),
  split: (s, sep) => String(s).split(String(sep)),
  upper: (s) => String(s).toUpperCase(),
  lower: (s) => String(s).toLowerCase(),
  title: (s) => String(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()),
  pad: (s, l, r) => ' '.repeat(Number(l)) + goString(s) + ' '.repeat(Number(r)),
  truncate: (s, n) => [...String(s)].slice(0, Number(n)).join(''),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  index: (v, ...keys) => keys.reduce<unknown>((acc, k) => (acc as Record<string, unknown>)?.[k as string], v),
  print: (...a) => a.map((x) => goString(x)).join(''),
  println: (...a) => a.map((x) => goString(x)).join(' ') + '\n',
  printf: (f, ...a) => sprintf(String(f), a),
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  not: (a) => !truthy(a),
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
};

const HEADER_FUNCS: Record<string, (...a: unknown[]) => unknown> = Object.fromEntries(Object.keys(FUNCS).map((k) => [k, (v: unknown) => v]));
let funcs = FUNCS;

function sprintf(format: string, args: unknown[]): string {
  let i = 0;
  return format.replace(/%([-0 +]*)(\d*)(?:\.(\d+))?([sdvqtxf%])/g, (_m, flags: string, width: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    let s =
      verb === 'q' ? JSON.stringify(goString(a)) : verb === 'x' ? Number(a).toString(16) : verb === 'f' ? Number(a).toFixed(prec ? Number(prec) : 6) : goString(a);
    if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
    const w = Number(width || 0);
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
    return s;
  });
}
