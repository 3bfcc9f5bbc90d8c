import { DockerIgnore } from './dockerignore';

describe(DockerIgnore.name, () => {
  describe('ignores', () => {
    const ig = new DockerIgnore('# comment\n*.log\n!keep.log\nbuild/\n**/secret\ndocs/*.md\n');
    it.each([
      { path: 'a.log', ignored: true },
      { path: 'keep.log', ignored: false },
      { path: 'build', ignored: true },
      { path: 'build/x/y', ignored: true },
      { path: 'deep/er/secret', ignored: true },
      { path: 'secret', ignored: true },
      { path: 'docs/a.md', ignored: true },
      { path: 'docs/sub/a.md', ignored: false },
      { path: 'src/a.ts', ignored: false },
      { path: 'sub/a.log', ignored: false },
    ])('$path ignored: $ignored', ({ path, ignored }) => expect(ig.ignores(path)).toBe(ignored));

    it.each([
      { name: 'the last matching rule wins', text: '!a.txt\n*.txt', path: 'a.txt', ignored: true },
      { name: 'a re-include after an exclude', text: '*.txt\n!a.txt', path: 'a.txt', ignored: false },
      { name: 'a leading slash is the context root', text: '/a', path: 'a', ignored: true },
      { name: 'patterns are cleaned like paths', text: './b/../c/', path: 'c', ignored: true },
      { name: '? matches one character but not /', text: 'a?c', path: 'a/c', ignored: false },
      { name: '? matches one character', text: 'a?c', path: 'abc', ignored: true },
      { name: 'a trailing ** matches everything below', text: 'out/**', path: 'out/x/y.js', ignored: true },
      { name: 'regexp characters are literal', text: 'a+(b).txt', path: 'a+(b).txt', ignored: true },
      { name: 'an escaped * is literal', text: 'a\\*', path: 'ab', ignored: false },
      { name: '. alone excludes nothing', text: '.', path: 'x', ignored: false },
      { name: 'CRLF lines and blank lines', text: '\r\n*.tmp\r\n\r\n', path: 'x.tmp', ignored: true },
      { name: 'a character class matches one of its characters', text: '[ab].txt', path: 'b.txt', ignored: true },
      { name: 'a character class matches nothing else', text: '[ab].txt', path: 'c.txt', ignored: false },
      { name: 'a character range', text: 'log[0-9]', path: 'log7', ignored: true },
      { name: 'a negated character class', text: 'log[^0-9]', path: 'logx', ignored: true },
      { name: 'a negated character class refuses its characters', text: 'log[^0-9]', path: 'log7', ignored: false },
      { name: 'an escaped [ is literal', text: 'a\\[b]', path: 'a[b]', ignored: true },
      { name: '** in the middle spans any number of directories', text: 'a/**/z', path: 'a/b/c/z', ignored: true },
      { name: '** in the middle spans none too', text: 'a/**/z', path: 'a/z', ignored: true },
      { name: '** matches inside a re-include', text: '**/*.md\n!docs/**/keep.md', path: 'docs/x/keep.md', ignored: false },
      { name: 'a re-include does not reach past a later exclude', text: 'out\n!out/keep\nout/keep/secret', path: 'out/keep/secret', ignored: true },
      { name: 'a re-included file inside an excluded directory', text: 'out\n!out/keep', path: 'out/keep', ignored: false },
      { name: 'matching is case-sensitive', text: '*.LOG', path: 'a.log', ignored: false },
      { name: 'a directory pattern excludes what is below it', text: 'a/b', path: 'a/b/c/d', ignored: true },
    ])('$name', ({ text, path, ignored }) => expect(new DockerIgnore(text).ignores(path)).toBe(ignored));
  });

  describe('hasExceptions', () => {
    it('is true only when a rule re-includes', () => {
      expect(new DockerIgnore('*.log\n!keep.log').hasExceptions).toBe(true);
      expect(new DockerIgnore('*.log\n# !not a rule').hasExceptions).toBe(false);
      expect(new DockerIgnore('*.log\n!').hasExceptions).toBe(false);
    });
  });
});
