import { compactJson, goJson, indentJson } from './go-json';
import { compileTemplate } from './go-template';
import { naturalLess } from './natural-sort';
import { Output } from './output';
import { tabwrite } from './tabwriter';

describe(tabwrite.name, () => {
  it('pads columns to the widest cell + 3, at least 10, and leaves the last cell alone', () => {
    expect(tabwrite('NETWORK ID\tNAME\tDRIVER\tSCOPE\n700b0f24b534\tbridge\tbridge\tlocal\n')).toBe(
      'NETWORK ID     NAME      DRIVER    SCOPE\n700b0f24b534   bridge    bridge    local\n',
    );
  });

  it('aligns column blocks separately when rows have fewer cells', () => {
    expect(tabwrite('a\tb\nlong-long-cell\n1\t2\n')).toBe('a         b\nlong-long-cell\n1         2\n');
  });

  it('counts characters, not bytes', () => {
    expect(tabwrite('é\tx\n')).toBe('é         x\n');
  });
});

describe(compileTemplate.name, () => {
  const data = { Name: 'n', IPAM: { Config: [{ Subnet: '10.0.0.0/24' }, { Subnet: 'fd00::/64', Gateway: 'fd00::1' }] }, Labels: { b: '2', a: '1' }, L: ['x', 'y'], Off: false };

  it.each([
    ['{{.Name}}', 'n'],
    ['{{json .IPAM}}', '{"Config":[{"Subnet":"10.0.0.0/24"},{"Subnet":"fd00::/64","Gateway":"fd00::1"}]}'],
    ['{{range .IPAM.Config}}{{.Subnet}},{{end}}', '10.0.0.0/24,fd00::/64,'],
    ['{{range .X}}{{else}}empty{{end}}', 'empty'],
    ['{{join .L ", "}}', 'x, y'],
    ['{{.Labels}} {{.IPAM.Config}}', 'map[a:1 b:2] [{10.0.0.0/24   map[]} {fd00::/64  fd00::1 map[]}]'],
    ['{{if .Off}}on{{else}}off{{end}} {{- " trimmed"}}', 'off trimmed'],
    ['{{.Name | upper}} {{len .L}} {{index .Labels "a"}} {{printf "%-3s|" .Name}}', 'N 2 1 n  |'],
    ['{{with .IPAM}}{{len .Config}}{{end}}', '2'],
  ])('%s', (src, expected) => {
    expect(compileTemplate(src)(data)).toBe(expected);
  });

  it.each([
    ['{{.Name', 'unclosed action'],
    ['{{nosuch .Name}}', 'function "nosuch" not defined'],
    ['{{if .Name}}x', 'unexpected EOF'],
    ['{{join .IPAM.Config ","}}', 'wrong type for value; expected []string'],
    ['{{.Name.Sub}}', "can't evaluate field Sub"],
  ])('rejects %s', (src, message) => {
    expect(() => compileTemplate(src)(data)).toThrow(message);
  });
});

describe('go-json', () => {
  it('re-indents raw JSON like json.Indent, keeping escapes and empty containers', () => {
    expect(indentJson('[{"a":"x\\u003c\\" ,:{}","b":{},"c":[],"d":[1, 2]}]\n')).toBe(
      '[\n    {\n        "a": "x\\u003c\\" ,:{}",\n        "b": {},\n        "c": [],\n        "d": [\n            1,\n            2\n        ]\n    }\n]',
    );
    expect(indentJson('[]')).toBe('[]');
    expect(compactJson('[ {"a" : "b c"} ]')).toBe('[{"a":"b c"}]');
  });

  it('escapes <, > and & like encoding/json unless told not to', () => {
    expect(goJson({ a: '<&>' })).toBe('{"a":"\\u003c\\u0026\\u003e"}');
    expect(goJson({ a: '<&>' }, { escapeHtml: false })).toBe('{"a":"<&>"}');
  });
});

describe(naturalLess.name, () => {
  it.each([
    ['net2', 'net10', true],
    ['net10', 'net2', false],
    ['a1', 'a01', true],
    ['1a', 'a', true],
    ['B', 'a', true],
    ['ab', 'abc', true],
  ])('%s < %s is %s', (a, b, expected) => {
    expect(naturalLess(a as string, b as string)).toBe(expected);
  });
});

describe(Output.name, () => {
  describe('write', () => {
    it('passes text to stdout and never touches stdout for an empty string', () => {
      const out: string[] = [];
      const o = new Output({ stdout: (s) => out.push(s), stderr: () => undefined });
      o.write('');
      expect(out).toEqual([]);
      o.write('x\n');
      o.write('');
      expect(out).toEqual(['x\n']);
    });
  });

  describe('isTty', () => {
    it('asks the sinks each time, so main can answer lazily', () => {
      let asked = 0;
      const o = new Output({
        stdout: () => undefined,
        stderr: () => undefined,
        get isTty() {
          asked++;
          return true;
        },
      });
      expect(asked).toBe(0);
      expect(o.isTty).toBe(true);
      expect(asked).toBe(1);
    });
  });
});
