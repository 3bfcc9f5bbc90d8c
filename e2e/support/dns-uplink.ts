import { IpAddr } from '@app/common';
import type { NetnsEnter } from '@app/dns';
import { FakeUpstream, type UpstreamBehaviour } from '@app/dns/testing/fake-upstream';
import { listenTcpInNetns, withNetns } from '@app/kernel';
import { createTempNetns, run, type TempNetns } from '@app/kernel/testing';

/**
 * Fake upstream resolvers in a namespace of their own, reached from the test host namespace (where
 * netd's forwarder opens its sockets) over a veth: never the machine's resolver.
 */
export interface Uplink {
  /** The upstreams' namespace. */
  readonly ns: TempNetns;
  /** One per behaviour asked for, in that order. */
  readonly upstreams: readonly FakeUpstream[];
  /** Stop the upstreams and delete their namespace; never throws. */
  dispose(): Promise<void>;
}

/**
 * `vup` in `host` gets `${prefix}.1/${len}`; its peer `eth0` in a new namespace gets `${prefix}.2`,
 * `.3` … , one address per upstream, each answering on port 53 (UDP and TCP). The loopbacks of both
 * namespaces come up. What was made is removed again when a step fails.
 */
export async function startUplink(host: TempNetns, prefix: string, len: number, behaviours: readonly UpstreamBehaviour[]): Promise<Uplink> {
  const ns = await createTempNetns();
  const upstreams: FakeUpstream[] = [];
  const dispose = async (): Promise<void> => {
    for (const u of upstreams) await u.stop().catch(() => undefined);
    await ns.dispose().catch(() => undefined);
  };
  try {
    await run('ip', ['-n', host.name, 'link', 'add', 'vup', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns.name]);
    await run('ip', ['-n', host.name, 'addr', 'add', `${prefix}.1/${len}`, 'dev', 'vup']);
    for (const i of behaviours.keys()) await run('ip', ['-n', ns.name, 'addr', 'add', `${prefix}.${i + 2}/${len}`, 'dev', 'eth0']);
    for (const [n, dev] of [[host.name, 'vup'], [ns.name, 'eth0'], [host.name, 'lo'], [ns.name, 'lo']]) await run('ip', ['-n', n, 'link', 'set', dev, 'up']);
    const enter = ((fn) => withNetns(ns.ref, fn)) as NetnsEnter;
    for (const [i, behaviour] of behaviours.entries()) {
      const address = `${prefix}.${i + 2}`;
      upstreams.push(await new FakeUpstream(behaviour, address).start({ port: 53, enter, tcpFd: listenTcpInNetns(ns.ref, IpAddr.parse(address), 53) }));
    }
  } catch (e) {
    await dispose();
    throw e;
  }
  return { ns, upstreams, dispose };
}
