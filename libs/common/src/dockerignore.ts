import ignore, { type Ignore } from '@balena/dockerignore';

/**
 * Characters @balena/dockerignore hands to the regexp unescaped, as moby 19.03 did; current moby
 * (patternmatcher's shouldEscape) takes them literally, so a pattern `a+(b).txt` names that file.
 * `[`, `]` and `^` keep their meaning: character classes, as in Go's filepath.Match.
 */
const LITERAL = new Set(['+', '(', ')', '|', '{', '}']);

function escapeLiterals(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && i + 1 < line.length) out += c + line[++i];
    else out += LITERAL.has(c) ? `\\${c}` : c;
  }
  return out;
}

/**
 * `.dockerignore` rules as Docker reads them (moby/patternmatcher, through @balena/dockerignore):
 * one pattern per line, `#` comments, `!` re-includes, the last matching rule wins, `**` spans
 * directories, `[ab]` is a character class, and a pattern matching a directory excludes everything
 * below it. Case-sensitive, as Docker on Linux. The one matcher of the CLI (packing a build
 * context) and libs/image (the builder reading one).
 */
export class DockerIgnore {
  private readonly matcher: Ignore;
  /** Whether any rule re-includes (moby's PatternMatcher.Exclusions). */
  readonly hasExceptions: boolean;

  constructor(text: string) {
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    this.matcher = ignore({ ignorecase: false }).add(lines.map(escapeLiterals));
    this.hasExceptions = lines.some((l) => l.startsWith('!') && l.slice(1).trim() !== '');
  }

  /** Whether a context-relative path ('/'-separated) is excluded. */
  ignores(path: string): boolean {
    return path !== '' && this.matcher.ignores(path);
  }
}
