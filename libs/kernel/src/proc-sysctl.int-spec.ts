import { ProcSysctl } from './proc-sysctl';
import { createTempNetns, describeAsRoot, describeSysctlContract, nsExec, type TempNetns } from './testing';

describeAsRoot('ProcSysctl (root, fresh namespaces)', () => {
  describeSysctlContract('ProcSysctl', async () => {
    const made: TempNetns[] = [];
    return {
      sysctl: new ProcSysctl(),
      newNamespace: async () => {
        const ns = await createTempNetns();
        made.push(ns);
        return ns.ref;
      },
      dispose: async () => {
        for (const ns of made) await ns.dispose().catch(() => undefined);
      },
    };
  });

  it('writes inside the namespace, as sysctl there reads it', async () => {
    const ns = await createTempNetns();
    try {
      await new ProcSysctl().set(ns.ref, 'net.ipv4.ip_forward', '1');
      expect((await nsExec(ns.ref, 'sysctl', ['-n', 'net.ipv4.ip_forward'])).trim()).toBe('1');
    } finally {
      await ns.dispose();
    }
  });
});
