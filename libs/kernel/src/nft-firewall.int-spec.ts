import { NftFirewall } from './nft-firewall';
import { createTempNetns, describeAsRoot, describeFirewallContract, normalizeNftJson, nsExec, type TempNetns } from './testing';

describe.each(['libnftables', 'spawn'] as const)('NftFirewall with the %s runner', (runner) => {
describeAsRoot(`NftFirewall (${runner}; root, fresh namespaces)`, () => {
  describeFirewallContract(`NftFirewall (${runner})`, async () => {
    const made: TempNetns[] = [];
    return {
      firewall: new NftFirewall({ runner }),
      newNamespace: async () => {
        const ns = await createTempNetns();
        made.push(ns);
        return ns.ref;
      },
      listTable: async (ns, family, name) => {
        const tables = await nsExec(ns, 'nft', ['list', 'tables']);
        if (!tables.split('\n').includes(`table ${family} ${name}`)) return undefined;
        return normalizeNftJson(await nsExec(ns, 'nft', ['-j', 'list', 'table', family, name]));
      },
      dispose: async () => {
        for (const ns of made) await ns.dispose().catch(() => undefined);
      },
    };
  });

  describe('against nft list', () => {
    let ns: TempNetns;
    const fw = new NftFirewall({ runner });
    afterAll(() => fw.close());
    beforeEach(async () => {
      ns = await createTempNetns();
      await nsExec(ns.ref, 'nft', ['-f', '-'], 'table ip foreign {\n chain c {\n  type filter hook input priority 0; policy accept;\n  counter\n }\n}\n');
    });
    afterEach(async () => {
      await ns?.dispose();
    });

    const body = (iface: string) => `chain forward {\n  type filter hook forward priority filter; policy accept;\n  iifname "${iface}" drop\n}`;

    it('replaces its table atomically and leaves a foreign table untouched', async () => {
      const foreign = await nsExec(ns.ref, 'nft', ['list', 'table', 'ip', 'foreign']);
      await fw.apply(ns.ref, { family: 'inet', name: 'netd', body: body('br-a') });
      await fw.apply(ns.ref, { family: 'inet', name: 'netd', body: body('br-b') });
      const mine = await nsExec(ns.ref, 'nft', ['list', 'table', 'inet', 'netd']);
      expect(mine).toContain('iifname "br-b" drop');
      expect(mine).not.toContain('br-a');
      expect(await nsExec(ns.ref, 'nft', ['list', 'table', 'ip', 'foreign'])).toBe(foreign);
    });

    it('keeps the previous table when nft rejects the new one', async () => {
      await fw.apply(ns.ref, { family: 'inet', name: 'netd', body: body('br-a') });
      await expect(fw.apply(ns.ref, { family: 'inet', name: 'netd', body: 'chain c { nonsense here }' })).rejects.toMatchObject({
        kind: 'invalid-parameter',
      });
      expect(await nsExec(ns.ref, 'nft', ['list', 'table', 'inet', 'netd'])).toContain('iifname "br-a" drop');
    });

    it('deletes only its own table', async () => {
      await fw.apply(ns.ref, { family: 'inet', name: 'netd', body: body('br-a') });
      await fw.deleteTable(ns.ref, 'inet', 'netd');
      const tables = await nsExec(ns.ref, 'nft', ['list', 'tables']);
      expect(tables).not.toContain('inet netd');
      expect(tables).toContain('table ip foreign');
    });
  });
});
});
