import { posix } from 'node:path';

interface Rule {
  negate: boolean;
  re: RegExp;
}

function toRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches zero or more directories; a trailing `**` matches everything below.
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += /[.+^${}()|[\]]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

/**
 * `.dockerignore` rules (moby/patternmatcher): one pattern per line, `#` comments, `!` re-includes,
 * the last matching rule wins, and a pattern matching a directory excludes everything below it.
 * Used by the CLI when it packs a build context and by libs/image when the builder reads one.
 */
export class DockerIgnore {
  private readonly rules: Rule[];

  constructor(text: string) {
    this.rules = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const negate = l.startsWith('!');
        const p = posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
        return { negate, re: toRegExp(p) };
      })
      .filter((r) => r.re.source !== '^\\.$');
  }

  /** Whether a context-relative path ('/'-separated) is excluded. */
  ignores(path: string): boolean {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of this.rules) {
      let hit = false;
      for (let n = parts.length; n >= 1 && !hit; n--) hit = rule.re.test(parts.slice(0, n).join('/'));
      if (hit) excluded = !rule.negate;
    }
    return excluded;
  }

  /** An excluded directory must still be walked when a `!` rule could re-include something in it. */
  get hasExceptions(): boolean {
    return this.rules.some((r) => r.negate);
  }
}
