import { mkdtempSync, rmdirSync } from 'node:fs';
import { InProcessNetns } from './in-process-netns';
import { IpNetns } from './ip-netns';
import { MNT_DETACH, umount2 } from './native/libc';
import { RtNetlink } from './rt-netlink';
import { describeAsRoot, describeNetnsContract, ipJson, run, tempNetnsName } from './testing';

describeAsRoot('Netns implementations (root)', () => {
  for (const [label, make] of [
    ['InProcessNetns', () => new InProcessNetns()],
    ['IpNetns', () => new IpNetns()],
  ] as const) {
    describeNetnsContract(label, async () => {
      const netns = make();
      const names: string[] = [];
      return {
        netns,
        freshName: () => {
          const n = tempNetnsName();
          names.push(n);
          return n;
        },
        dispose: async () => {
          for (const n of names) if (await netns.get(n)) await netns.delete(n).catch(() => undefined);
        },
      };
    });
  }

  describe('InProcessNetns', () => {
    it('makes a namespace that ip sees, with only lo', async () => {
      const netns = new InProcessNetns();
      const name = tempNetnsName();
      await netns.create(name);
      try {
        const links = await ipJson<Array<{ ifname: string }>>(name, ['link', 'show']);
        expect(links.map((l) => l.ifname)).toEqual(['lo']);
        expect(await run('ip', ['netns', 'list'])).toContain(name);
      } finally {
        await netns.delete(name);
      }
    });

    it('leaves the calling thread in its own namespace', async () => {
      const before = await run('readlink', [`/proc/${process.pid}/task/${process.pid}/ns/net`]);
      const netns = new InProcessNetns();
      const name = tempNetnsName();
      await netns.create(name);
      await netns.delete(name);
      expect(await run('readlink', [`/proc/${process.pid}/task/${process.pid}/ns/net`])).toBe(before);
    });

    it('works under a directory that is not a mount point yet', async () => {
      const dir = mkdtempSync('/run/netd-t-dir-');
      const netns = new InProcessNetns(dir);
      const nl = new RtNetlink();
      try {
        const ref = await netns.create('c1');
        await nl.createLink(ref, { kind: 'bridge', name: 'br0' });
        expect((await nl.listLinks(ref)).map((l) => l.name).sort()).toEqual(['br0', 'lo']);
        nl.close(ref);
        await netns.delete('c1');
        expect(await netns.list()).toEqual([]);
      } finally {
        nl.close();
        umount2(dir, MNT_DETACH);
        rmdirSync(dir);
      }
    });
  });
});
