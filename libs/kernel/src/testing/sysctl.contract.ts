import type { NetnsRef } from '../netlink.port';
import type { Sysctl } from '../sysctl.port';

export interface SysctlContractFixture {
  readonly sysctl: Sysctl;
  /** A fresh namespace (kernel defaults). */
  newNamespace(): Promise<NetnsRef>;
  dispose(): Promise<void>;
}

/** The Sysctl contract, run against FakeSysctl and, as root, ProcSysctl. */
export function describeSysctlContract(name: string, setup: () => Promise<SysctlContractFixture>): void {
  describe(`Sysctl contract: ${name}`, () => {
    let fx: SysctlContractFixture;
    let sysctl: Sysctl;
    let ns: NetnsRef;

    beforeEach(async () => {
      fx = await setup();
      sysctl = fx.sysctl;
      ns = await fx.newNamespace();
    });
    afterEach(async () => {
      await fx?.dispose();
    });

    // A new namespace copies ip_forward and the conf.* values from the host's (devconf_inherit_init_net=0),
    // so after Docker or a netd ran on the host they read 1: only keys the kernel resets per namespace
    // have a default a test may count on.
    it('reads the default of a fresh namespace', async () => {
      expect(await sysctl.get(ns, 'net.ipv4.ip_unprivileged_port_start')).toBe('1024');
    });

    it('writes a value that reads back', async () => {
      await sysctl.set(ns, 'net.ipv4.conf.all.route_localnet', '1');
      expect(await sysctl.get(ns, 'net.ipv4.conf.all.route_localnet')).toBe('1');
    });

    it('keeps ip_forward and conf.all.forwarding in step', async () => {
      await sysctl.set(ns, 'net.ipv4.ip_forward', '1');
      expect(await sysctl.get(ns, 'net.ipv4.conf.all.forwarding')).toBe('1');
    });

    it('changes only the given namespace', async () => {
      const other = await fx.newNamespace();
      const before = await sysctl.get(other, 'net.ipv4.ip_unprivileged_port_start');
      await sysctl.set(ns, 'net.ipv4.ip_unprivileged_port_start', '2000');
      expect(await sysctl.get(ns, 'net.ipv4.ip_unprivileged_port_start')).toBe('2000');
      expect(await sysctl.get(other, 'net.ipv4.ip_unprivileged_port_start')).toBe(before);
    });

    it('fails with not-found for an unknown key', async () => {
      await expect(sysctl.get(ns, 'net.ipv4.no_such_key')).rejects.toMatchObject({ kind: 'not-found' });
    });

    it('fails with not-found for a missing interface', async () => {
      await expect(sysctl.get(ns, 'net.ipv4.conf.nope0.forwarding')).rejects.toMatchObject({ kind: 'not-found' });
    });

    it.each(['net..ipv4', 'net.ipv4.conf.//.forwarding', 'net', '../etc/passwd'])('rejects the key "%s"', async (bad) => {
      await expect(sysctl.get(ns, bad)).rejects.toMatchObject({ kind: 'invalid-parameter' });
    });

    it('rejects a value that is not an integer', async () => {
      const before = await sysctl.get(ns, 'net.ipv4.ip_forward');
      await expect(sysctl.set(ns, 'net.ipv4.ip_forward', 'yes')).rejects.toMatchObject({ kind: 'invalid-parameter' });
      expect(await sysctl.get(ns, 'net.ipv4.ip_forward')).toBe(before);
    });
  });
}
