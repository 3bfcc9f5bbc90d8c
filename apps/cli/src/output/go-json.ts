/**
 * JSON the way docker's client prints it. `inspect` re-indents the daemon's raw bytes with Go's
 * json.Indent (so escapes and key order are the daemon's own); values docker marshals itself go
 * through encoding/json, which escapes <, >, & and U+2028/U+2029 unless told not to.
 */

/** Go's json.Indent(dst, src, prefix "", indent): whitespace changes only, `{}`/`[]` stay empty. */
export function indentJson(raw: string, indent = '    '): string {
  let out = '';
  let depth = 0;
  let needIndent = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') continue;
    if (needIndent && c !== ']' && c !== '}') {
      out += '\n' + indent.repeat(depth);
      needIndent = false;
    }
    if (c === '"') {
      const end = stringEnd(raw, i);
      out += raw.slice(i, end);
      i = end - 1;
      continue;
    }
    switch (c) {
      case '{':
      case '[':
        out += c;
        depth++;
        needIndent = true;
        break;
      case ',':
        out += c + '\n' + indent.repeat(depth);
        break;
      case ':':
        out += ': ';
        break;
      case '}':
      case ']':
        depth--;
        if (needIndent) needIndent = false;
        else out += '\n' + indent.repeat(depth);
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** Go's json.Compact: the raw text without insignificant whitespace. */
export function compactJson(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') {
      const end = stringEnd(raw, i);
      out += raw.slice(i, end);
      i = end - 1;
    } else if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') {
      out += c;
    }
  }
  return out;
}

/** encoding/json output for a plain value: compact, optionally indented, HTML-safe by default. */
export function goJson(value: unknown, opts: { indent?: string; escapeHtml?: boolean } = {}): string {
  const text = JSON.stringify(value === undefined ? null : value, null, opts.indent) ?? 'null';
  return opts.escapeHtml === false ? text.replace(/[\u2028\u2029]/g, escapeChar) : text.replace(/[<>&\u2028\u2029]/g, escapeChar);
}

function escapeChar(c: string): string {
  return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}

function stringEnd(raw: string, start: number): number {
  let i = start + 1;
  while (i < raw.length && raw[i] !== '"') i += raw[i] === '\\' ? 2 : 1;
  return i + 1;
}
