import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OciConfig } from './bundle';
import { writeBundle } from './container-files';
import type { ContainerRecord } from './container-record';
import { INITIAL_STATE } from './container-state';
import { containerPaths } from './layout';

const record = (extraHosts: string[]): ContainerRecord => ({
  id: 'c'.repeat(64),
  name: '/c',
  created: new Date(0).toISOString(),
  hostname: 'c',
  state: INITIAL_STATE,
  restartCount: 0,
  manuallyStopped: false,
  spec: { lowers: ['/x'], cmd: ['true'], network: { kind: 'none' }, extraHosts } as unknown as ContainerRecord['spec'],
  networkFiles: { addresses: [], links: [], embeddedDns: false },
});

describe('writeBundle', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'netd-bundle-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes config.json, hosts, resolv.conf and hostname', async () => {
    const paths = containerPaths(dir, 'c'.repeat(64));
    await writeBundle(paths, {} as OciConfig, record([]), { hostResolvConf: () => 'nameserver 192.0.2.53\n' });
    expect(readdirSync(paths.dir).sort()).toEqual(['config.json', 'hostname', 'hosts', 'resolv.conf']);
  });

  it('writes nothing when a file cannot be rendered, so no write outlives the failure', async () => {
    const paths = containerPaths(dir, 'c'.repeat(64));
    // host-gateway with no gateway known cannot be rendered into /etc/hosts
    await expect(writeBundle(paths, {} as OciConfig, record(['gw:host-gateway']), { hostResolvConf: () => '' })).rejects.toMatchObject({ kind: 'invalid-parameter' });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(existsSync(paths.config)).toBe(false);
  });
});
