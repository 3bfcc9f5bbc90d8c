import { lintSnippet as lint } from './lint-snippet';

/**
 * eslint.config.mjs keeps driver names out of apps/: services ask a driver's capabilities instead
 * of comparing its name. These cases lint a snippet as if it were a file at `path`.
 */
const RULE = /driver-names\/no-driver-name-test/;

const SERVICE = 'apps/netd/src/networks/x.service.ts';
const fn = (body: string) => `export function f(n: { driver: string; name: string }, driverName: string, driver: { type: string }): unknown {\n  return ${body};\n}\n`;

describe('lint: no driver names in apps/', () => {
  it.each([
    { name: 'a record\'s driver compared with ===', source: fn("n.driver === 'host'") },
    { name: 'a driver name compared with !==, literal first', source: fn("'null' !== driverName") },
    { name: 'a driver\'s type', source: fn("driver.type === 'overlay'") },
    { name: 'an optional chain', source: "export const f = (n?: { driver: string }) => n?.driver === 'bridge';\n" },
    { name: 'a switch on the driver', source: "export function f(n: { driver: string }): number {\n  switch (n.driver) {\n    case 'host':\n      return 1;\n    default:\n      return 0;\n  }\n}\n" },
    { name: 'a set of driver names held by a const', source: "const SERVED = new Set(['bridge', 'overlay']);\nexport const f = (n: { driver: string }) => SERVED.has(n.driver);\n" },
    { name: 'a list of driver names in place', source: fn("['host', 'null'].includes(n.driver)") },
  ])('fails on $name', ({ source }) => {
    const r = lint(SERVICE, source);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(RULE);
  });

  it('fails in the CLI too', () => {
    const r = lint('apps/cli/src/commands/x.ts', fn("n.driver === 'bridge'"));
    expect(r.output).toMatch(RULE);
  });

  it.each([
    { name: 'a capability query', path: SERVICE, source: "export const f = (caps: { sandbox: string }) => caps.sandbox === 'host';\n" },
    { name: 'the default network by name', path: SERVICE, source: fn("n.name === 'bridge'") },
    { name: 'a network mode', path: SERVICE, source: "export const f = (mode: string) => mode === 'host';\n" },
    { name: 'the IPAM driver', path: SERVICE, source: "export const f = (ipam: { driver: string }) => ipam.driver === 'default';\n" },
    { name: 'a unit test', path: 'apps/netd/src/networks/x.spec.ts', source: fn("n.driver === 'host'") },
    { name: 'a test helper', path: 'apps/netd/src/testing/x.ts', source: fn("n.driver === 'host'") },
    { name: 'the drivers themselves', path: 'libs/drivers/src/x.ts', source: fn("n.driver === 'host'") },
  ])('allows $name', ({ path, source }) => {
    const r = lint(path, source);
    expect(r.output).not.toMatch(RULE);
  });
});
