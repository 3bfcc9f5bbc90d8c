import { buildOciConfig, capabilities, capabilitiesOfMask, containerEnv, DEFAULT_CAPABILITIES, DEFAULT_PATH, withOverlayRoot, type BundleSpec } from './bundle';
import { containerPaths } from './layout';

const paths = containerPaths('/var/lib/netd/containers', 'a'.repeat(64));
const base: BundleSpec = {
  id: 'a'.repeat(64),
  args: ['sh', '-c', 'echo hi'],
  env: [],
  user: { uid: 0, gid: 0 },
  hostname: 'aaaaaaaaaaaa',
  terminal: false,
  network: { netnsPath: '/run/netns/netd-1' },
  cgroup: { mode: 'hybrid', parent: '/netd' },
};

describe('buildOciConfig', () => {
  it('mounts volumes, binds and tmpfs after the defaults, parents first, one at a default destination replacing it', () => {
    const c = buildOciConfig({
      ...base,
      mounts: [
        { type: 'bind', source: '/srv/x', destination: '/data/sub', rw: false, mode: 'ro', propagation: 'rprivate' },
        { type: 'volume', source: '/v/_data', destination: '/data', rw: true, mode: 'z', propagation: '', name: 'v', driver: 'local' },
        { type: 'tmpfs', source: '', destination: '/dev/shm', rw: true, mode: '', propagation: '', tmpfsOptions: ['noexec', 'size=1m'] },
        { type: 'bind', source: '/srv/y', destination: '/y', rw: true, mode: '', propagation: 'rprivate', nonRecursive: true },
      ],
    }, paths);
    expect(c.mounts.filter((m) => m.destination === '/dev/shm')).toEqual([{ destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'size=1m'] }]);
    expect(c.mounts.slice(-4)).toEqual([
      { destination: '/data', type: 'bind', source: '/v/_data', options: ['rbind', 'rprivate'] },
      { destination: '/y', type: 'bind', source: '/srv/y', options: ['bind', 'rprivate'] },
      { destination: '/data/sub', type: 'bind', source: '/srv/x', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'size=1m'] },
    ]);
  });

  it('joins the given network namespace and makes pid, ipc, uts and mount namespaces', () => {
    const c = buildOciConfig(base, paths);
    expect(c.linux.namespaces).toEqual([
      { type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' },
      { type: 'network', path: '/run/netns/netd-1' },
    ]);
  });

  it('has no network namespace entry for --network host', () => {
    const c = buildOciConfig({ ...base, network: 'host' }, paths);
    expect(c.linux.namespaces.map((n) => n.type)).not.toContain('network');
  });

  it('adds a private cgroup namespace only on cgroup v2', () => {
    expect(buildOciConfig({ ...base, cgroup: { mode: 'v2', parent: '/netd' } }, paths).linux.namespaces.map((n) => n.type)).toContain('cgroup');
    expect(buildOciConfig(base, paths).linux.namespaces.map((n) => n.type)).not.toContain('cgroup');
  });

  it('shares the host PID namespace for --pid host and honours --cgroupns either way', () => {
    expect(buildOciConfig({ ...base, pidHost: true }, paths).linux.namespaces.map((n) => n.type)).toEqual(['ipc', 'uts', 'mount', 'network']);
    expect(buildOciConfig({ ...base, cgroupns: 'private' }, paths).linux.namespaces.map((n) => n.type)).toContain('cgroup');
    expect(buildOciConfig({ ...base, cgroup: { mode: 'v2', parent: '/netd' }, cgroupns: 'host' }, paths).linux.namespaces.map((n) => n.type)).not.toContain('cgroup');
  });

  it('puts the resources into linux.resources as runc reads them, beside the device rules', () => {
    const c = buildOciConfig({
      ...base,
      resources: { memory: 64 << 20, memorySwap: 128 << 20, memoryReservation: 32 << 20, memorySwappiness: 10, oomKillDisable: true, cpuShares: 512, nanoCpus: 500_000_000, cpusetCpus: '0', cpusetMems: '0', pidsLimit: 50 },
      shmSizeBytes: 1 << 20, oomScoreAdj: 100,
    }, paths);
    const r = c.linux.resources as Record<string, unknown>;
    expect(r.memory).toEqual({ limit: 64 << 20, swap: 128 << 20, reservation: 32 << 20, swappiness: 10, disableOOMKiller: true });
    expect(r.cpu).toEqual({ shares: 512, period: 100000, quota: 50000, cpus: '0', mems: '0' });
    expect((buildOciConfig({ ...base, resources: { cpuPeriod: 50000, cpuQuota: 20000 } }, paths).linux.resources as Record<string, unknown>).cpu).toEqual({ quota: 20000, period: 50000 });
    expect(r.pids).toEqual({ limit: 50 });
    expect(r.devices).toEqual(buildOciConfig(base, paths).linux.resources && (buildOciConfig(base, paths).linux.resources as Record<string, unknown>).devices);
    expect(c.process).toMatchObject({ oomScoreAdj: 100 });
    expect(c.mounts.find((m) => m.destination === '/dev/shm')?.options).toContain(`size=${1 << 20}`);
    expect(Object.keys(buildOciConfig(base, paths).linux.resources as object)).toEqual(['devices']);
  });

  it('sizes a terminal from consoleSize, and only a terminal', () => {
    expect(buildOciConfig({ ...base, terminal: true, consoleSize: { height: 33, width: 101 } }, paths).process).toMatchObject({ consoleSize: { height: 33, width: 101 } });
    expect(buildOciConfig({ ...base, consoleSize: { height: 33, width: 101 } }, paths).process).not.toHaveProperty('consoleSize');
  });

  it('roots the container in the overlay mount point and puts it under the cgroup parent', () => {
    const c = buildOciConfig(base, paths);
    expect(c.root).toEqual({ path: paths.rootfs, readonly: false });
    expect(c.linux.cgroupsPath).toBe(`/netd/${base.id}`);
  });

  it('bind-mounts hosts, resolv.conf and hostname from the container directory', () => {
    const c = buildOciConfig(base, paths);
    const binds = c.mounts.filter((m) => m.type === 'bind').map((m) => [m.destination, m.source]);
    expect(binds).toEqual([
      ['/etc/resolv.conf', paths.resolvConf],
      ['/etc/hostname', paths.hostname],
      ['/etc/hosts', paths.hosts],
    ]);
  });

  it("gives Docker's default capabilities, NET_RAW included, with no-new-privileges", () => {
    const c = buildOciConfig(base, paths);
    expect(c.process.capabilities.bounding).toEqual([...DEFAULT_CAPABILITIES]);
    expect(c.process.capabilities.effective).toContain('CAP_NET_RAW');
    expect(c.process.capabilities.bounding).not.toContain('CAP_SYS_ADMIN');
    expect(c.process.noNewPrivileges).toBe(true);
  });

  it('sets hostname, cwd, user, terminal and the default environment', () => {
    const c = buildOciConfig({ ...base, terminal: true, cwd: '/srv', user: { uid: 1000, gid: 100 }, env: ['A=1'] }, paths);
    expect(c.hostname).toBe('aaaaaaaaaaaa');
    expect(c.process).toMatchObject({ cwd: '/srv', terminal: true, user: { uid: 1000, gid: 100 } });
    expect(c.process.env).toEqual([DEFAULT_PATH, 'A=1', 'HOSTNAME=aaaaaaaaaaaa', 'TERM=xterm']);
  });

  it.each([
    { name: 'no command', spec: { ...base, args: [] }, message: 'No command specified' },
    { name: 'net sysctl with host network', spec: { ...base, network: 'host' as const, sysctls: { 'net.ipv4.ip_forward': '1' } }, message: "sysctl 'net.ipv4.ip_forward' is not allowed in host network mode" },
    { name: 'bad env entry', spec: { ...base, env: ['NOEQUALS'] }, message: 'invalid environment variable: NOEQUALS' },
  ])('rejects $name', ({ spec, message }) => {
    expect(() => buildOciConfig(spec, paths)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildOciConfig(base, paths))).toBe(JSON.stringify(buildOciConfig(base, paths)));
  });
});

describe('capabilities', () => {
  it('adds and drops with or without the CAP_ prefix', () => {
    const caps = capabilities(['net_admin'], ['CAP_NET_RAW', 'chown']);
    expect(caps).toContain('CAP_NET_ADMIN');
    expect(caps).not.toContain('CAP_NET_RAW');
    expect(caps).not.toContain('CAP_CHOWN');
  });

  it('drops everything with ALL but keeps explicit adds', () => {
    expect(capabilities(['NET_BIND_SERVICE'], ['ALL'])).toEqual(['CAP_NET_BIND_SERVICE']);
  });

  it('rejects a malformed capability', () => {
    expect(() => capabilities(['net-admin'])).toThrow('unknown capability: "net-admin"');
  });

  // CAP_BOGUS was accepted and handed to runc; ALL in --cap-add was dropped without a word
  it.each([[['CAP_BOGUS'], []], [[], ['bogus']], [['SYS_NOTHING'], []]])('rejects a capability the kernel does not have (add %j, drop %j)', (add, drop) => {
    expect(() => capabilities(add, drop)).toThrow(/^unknown capability: "/);
  });

  it('adds every capability with ALL, less what is dropped', () => {
    const caps = capabilities(['ALL'], ['sys_admin']);
    expect(caps).toEqual(expect.arrayContaining(['CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_BPF', 'CAP_CHOWN']));
    expect(caps).not.toContain('CAP_SYS_ADMIN');
    expect(caps).toHaveLength(40);
  });
});

describe('containerEnv', () => {
  it('keeps a caller PATH and HOSTNAME', () => {
    expect(containerEnv(['PATH=/x', 'HOSTNAME=h'], 'other', false)).toEqual(['PATH=/x', 'HOSTNAME=h']);
  });
});

describe('withOverlayRoot', () => {
  const lowers = ['/var/lib/netd/image/layers/b', '/var/lib/netd/image/layers/a'];

  it('puts the overlay first, on /, with the layers topmost first and the container upper and work dirs', () => {
    const c = withOverlayRoot(buildOciConfig(base, paths), lowers, paths);
    expect(c.mounts[0]).toEqual({
      destination: '/', type: 'overlay', source: 'overlay',
      options: [`lowerdir=${lowers.join(':')}`, `upperdir=${paths.upper}`, `workdir=${paths.work}`],
    });
    expect(c.mounts.slice(1)).toEqual(buildOciConfig(base, paths).mounts);
    expect(c.root.path).toBe(paths.rootfs);
  });

  it('replaces an earlier root mount instead of adding a second one', () => {
    const once = withOverlayRoot(buildOciConfig(base, paths), ['/old'], paths);
    const twice = withOverlayRoot(once, lowers, paths);
    expect(twice.mounts.filter((m) => m.destination === '/')).toHaveLength(1);
    expect(twice.mounts[0].options?.[0]).toBe(`lowerdir=${lowers.join(':')}`);
  });

  it('refuses layer paths overlayfs cannot express and option strings past the kernel limit', () => {
    expect(() => withOverlayRoot(buildOciConfig(base, paths), ['/a,b'], paths)).toThrow('unusable overlay path: /a,b');
    const many = Array.from({ length: 80 }, (_, i) => `/var/lib/netd/image/layers/${'f'.repeat(48)}${i}`);
    expect(() => withOverlayRoot(buildOciConfig(base, paths), many, paths)).toThrow(/overlay options too long/);
  });
});

describe('capabilitiesOfMask', () => {
  it('names the capabilities of a CapBnd mask by bit', () => {
    expect(capabilitiesOfMask(0xa80425fbn)).toEqual(['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
      'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP']);
    expect(capabilitiesOfMask(0x1fffeffffffn)).toHaveLength(40);
    expect(capabilitiesOfMask(0x1fffeffffffn)).not.toContain('CAP_SYS_RESOURCE');
  });
});
