import { expandVars, parseDockerfile, parseKeyValues, splitWords } from './dockerfile-parser';

describe('parseDockerfile', () => {
  it('reads instructions, flags, exec form, comments and continuations', () => {
    const df = parseDockerfile([
      '# syntax=docker/dockerfile:1',
      '',
      'FROM scratch AS base',
      '# a comment',
      'COPY --chown=1:2 a \\',
      '  # comment inside a continuation',
      '  b /dst/',
      'run ["echo", "hi"]',
      'CMD echo hi',
      'ENTRYPOINT [not json',
    ].join('\n'));
    expect(df.escape).toBe('\\');
    expect(df.instructions.map((i) => [i.name, i.line, i.rest, i.flags, i.json])).toEqual([
      ['from', 3, 'scratch AS base', {}, undefined],
      ['copy', 5, 'a b /dst/', { chown: '1:2' }, undefined],
      ['run', 8, '["echo", "hi"]', {}, ['echo', 'hi']],
      ['cmd', 9, 'echo hi', {}, undefined],
      ['entrypoint', 10, '[not json', {}, undefined],
    ]);
  });

  it('honours the escape directive', () => {
    const df = parseDockerfile('# escape=`\nFROM scratch\nCOPY a `\n  C:\\dir\\\n');
    expect(df.escape).toBe('`');
    expect(df.instructions[1].rest).toBe('a C:\\dir\\');
  });

  it.each([
    { name: 'an unknown instruction', text: 'FROM scratch\nFOO bar', message: 'dockerfile parse error on line 2: unknown instruction: FOO' },
    { name: 'a bad escape directive', text: '# escape=x\nFROM scratch', message: "dockerfile parse error on line 1: invalid escape token 'x' does not match ` or \\" },
    { name: 'a repeated directive', text: '# escape=`\n# escape=`\nFROM scratch', message: 'dockerfile parse error on line 2: only one escape parser directive can be used' },
    { name: 'a missing argument', text: 'FROM scratch\nWORKDIR', message: 'dockerfile parse error on line 2: WORKDIR requires at least one argument' },
    { name: 'a flag without value', text: 'FROM scratch\nCOPY --chown a b', message: 'dockerfile parse error on line 2: flag --chown needs a value (--chown=...)' },
  ])('rejects $name', ({ text, message }) => {
    expect(() => parseDockerfile(text)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});

describe('splitWords', () => {
  it.each([
    { input: 'a b  c', out: ['a', 'b', 'c'] },
    { input: '"a b" \'c d\'', out: ['a b', 'c d'] },
    { input: 'a\\ b', out: ['a b'] },
    { input: 'k="v \\"q\\""', out: ['k=v "q"'] },
  ])('splits $input', ({ input, out }) => expect(splitWords(input)).toEqual(out));
  it('rejects an unterminated quote', () => expect(() => splitWords('"a')).toThrow('unterminated quote'));
});

describe('parseKeyValues', () => {
  it('reads the pair and the legacy forms', () => {
    expect(parseKeyValues('A=1 B="two words"', '\\', 1, 'ENV')).toEqual([['A', '1'], ['B', 'two words']]);
    expect(parseKeyValues('A one two', '\\', 1, 'ENV')).toEqual([['A', 'one two']]);
    expect(() => parseKeyValues('=x', '\\', 3, 'ENV')).toThrow('dockerfile parse error on line 3: ENV names can not be blank');
  });
});

describe('expandVars', () => {
  const vars = new Map([['A', 'x'], ['EMPTY', '']]);
  it.each([
    { input: '$A/${A}', out: 'x/x' },
    { input: '${NOPE:-def} ${A:-def} ${EMPTY:-def}', out: 'def x def' },
    { input: '${A:+alt}${NOPE:+alt}', out: 'alt' },
    { input: '\\$A $NOPE.', out: '$A .' },
  ])('expands $input', ({ input, out }) => expect(expandVars(input, vars)).toBe(out));
  it('rejects a bad substitution', () => expect(() => expandVars('${A!}', vars)).toThrow('bad substitution'));
});
