import { lintSnippet as lint } from './lint-snippet';

/**
 * The import boundaries of STYLE.md §1 are enforced by eslint.config.mjs. These cases lint a
 * snippet as if it were a file at `path` and check that lint fails exactly where it must.
 */

describe('lint import boundaries', () => {
  it.each([
    { name: 'a lib importing @nestjs/common', path: 'libs/ipam/src/x.ts', source: "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n" },
    { name: 'a lib other than kernel spawning processes', path: 'libs/drivers/src/x.ts', source: "import { spawn } from 'node:child_process';\nexport const x = spawn;\n" },
    { name: 'the bare child_process module', path: 'apps/netd/src/x.ts', source: "import { execFile } from 'child_process';\nexport const x = execFile;\n" },
    { name: 'ipam depending on the kernel', path: 'libs/ipam/src/x.ts', source: "import { Netlink } from '@app/kernel';\nexport const x = Netlink;\n" },
    { name: 'common depending on anything', path: 'libs/common/src/x.ts', source: "import { Ipam } from '@app/ipam';\nexport type X = Ipam;\n" },
    { name: 'the CLI reaching into drivers', path: 'apps/cli/src/x.ts', source: "import { x } from '@app/drivers';\nexport const y = x;\n" },
    { name: 'production code importing fakes', path: 'libs/drivers/src/x.ts', source: "import { FakeNetlink } from '@app/kernel/testing';\nexport const x = FakeNetlink;\n" },
  ])('fails on $name', ({ path, source }) => {
    const r = lint(path, source);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/no-restricted-imports/);
  });

  it.each([
    { name: 'the kernel spawning nft', path: 'libs/kernel/src/x.ts', source: "import { spawn } from 'node:child_process';\nexport const x = spawn;\n" },
    { name: 'drivers using kernel ports', path: 'libs/drivers/src/x.ts', source: "import { Netlink } from '@app/kernel';\nexport const x = Netlink;\n" },
    { name: 'the daemon importing Nest', path: 'apps/netd/src/x.ts', source: "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n" },
    { name: 'a driver test using fakes and ip', path: 'libs/drivers/src/x.spec.ts', source: "import { FakeNetlink } from '@app/kernel/testing';\nimport { spawnSync } from 'node:child_process';\nexport const x = [FakeNetlink, spawnSync];\n" },
  ])('allows $name', ({ path, source }) => {
    const r = lint(path, source);
    expect(r.output).not.toMatch(/no-restricted-imports/);
    expect(r.ok).toBe(true);
  });
});
