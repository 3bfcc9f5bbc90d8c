import { lintSnippet as lint } from './lint-snippet';

/**
 * eslint.config.mjs keeps one composition root: the daemon's services are constructed only in
 * apps/netd/src/composition-root.ts. These cases lint a snippet as if it were a file at `path`.
 */
const RULE = /composition-root\/construct-in-root/;

const build = (cls: string, from: string) => `import { ${cls} } from '${from}';\nexport const x = new ${cls}(undefined as never);\n`;

describe('lint: one composition root', () => {
  it.each([
    { name: 'a service built in a controller', path: 'apps/netd/src/networks/x.controller.ts', source: build('NetworksService', './networks.service') },
    { name: 'a second daemon assembly', path: 'apps/netd/src/daemon-two.ts', source: build('ContainersService', './containers/containers.service') },
    { name: 'a driver built by a service', path: 'apps/netd/src/cluster/x.ts', source: build('OverlayDriver', '@app/drivers') },
    { name: 'the container manager built outside the root', path: 'apps/netd/src/containers/x.ts', source: build('ContainerManager', '@app/container') },
    { name: 'a store built by a service', path: 'apps/netd/src/dns/x.ts', source: build('SqliteContainerStore', '../store/sqlite-container-store') },
  ])('fails on $name', ({ path, source }) => {
    const r = lint(path, source);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(RULE);
  });

  it.each([
    { name: 'the composition root', path: 'apps/netd/src/composition-root.ts', source: build('NetworksService', './networks/networks.service') },
    { name: 'a unit test building its own service', path: 'apps/netd/src/networks/x.spec.ts', source: build('NetworksService', './networks.service') },
    { name: 'a test helper', path: 'apps/netd/src/testing/x.ts', source: build('ContainerManager', '@app/container') },
    { name: 'a lib building its own parts', path: 'libs/drivers/src/x.ts', source: build('BridgeDriver', './bridge/bridge.driver') },
    { name: 'plain values in the daemon', path: 'apps/netd/src/x.ts', source: "export const x = new Map<string, number>();\n" },
  ])('allows $name', ({ path, source }) => {
    const r = lint(path, source);
    expect(r.output).not.toMatch(RULE);
  });
});
