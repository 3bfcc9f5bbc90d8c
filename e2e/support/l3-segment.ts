import { randomInt } from 'node:crypto';
import { createTempNetns, nsExec, run, type TempNetns } from '@app/kernel/testing';

/**
 * A simulated L3 segment (libnetwork's L3Segment): an underlay bridge `ul` in its own namespace
 * and N "host" namespaces, each joined to it by a veth (`ul0` inside the host, `p<n>` on the bridge).
 * Addresses are TEST-NET-1 (192.0.2.0/24) and a ULA /64, both only inside these namespaces, so
 * nothing here can reach or be reached from the machine's own network. IPv6 addresses are `nodad`
 * (usable at once), forwarding is on in every host as on a real container host. The bridge stands
 * for a physical switch, which runs no netfilter: bridged frames skip the IP hooks in its
 * namespace (br_netfilter is on by default in every new namespace once the module is loaded).
 */
export interface SegmentHost {
  /** 1-based index; the host's address is 192.0.2.<n>. */
  readonly n: number;
  readonly ns: TempNetns;
  readonly ipv4: string;
  readonly ipv6: string;
}

export interface L3Segment {
  /** The namespace holding the bridge. */
  readonly bridgeNs: TempNetns;
  /** The bridge's own address (a bootstrap or service on the segment binds here). */
  readonly bridgeIpv4: string;
  readonly hosts: readonly SegmentHost[];
  /** Whether an address belongs to this segment (192.0.2.0/24 or its ULA /64). */
  owns(address: string): boolean;
  /** Plug one more namespace in (an intruder, a late host). */
  addHost(): Promise<SegmentHost>;
  /** Take a host's link to the bridge down (a cut cable) or up again. */
  setLink(host: SegmentHost, up: boolean): Promise<void>;
  /** Delete every namespace (idempotent; keeps going after errors). */
  dispose(): Promise<void>;
}

export const SEGMENT_V4_PREFIX = '192.0.2.';
const BRIDGE_HOST_OCTET = 254;

const BR_NETFILTER_KEYS = ['iptables', 'ip6tables', 'arptables'].map((k) => `net.bridge.bridge-nf-call-${k}`);

/** No br_netfilter for frames crossing the segment's bridge, in its namespace only (`-e`: the keys exist only while the module is loaded). */
async function switchWithoutNetfilter(bridgeNs: string): Promise<void> {
  await nsExec(bridgeNs, 'sysctl', ['-qew', ...BR_NETFILTER_KEYS.map((k) => `${k}=0`)]);
}

export async function createL3Segment(count: number): Promise<L3Segment> {
  if (!Number.isInteger(count) || count < 1 || count > 200) throw new Error(`a segment has 1–200 hosts, not ${count}`);
  const made: TempNetns[] = [];
  const hosts: SegmentHost[] = [];
  const v6Prefix = `fd00:${randomInt(1, 0xffff).toString(16)}:${randomInt(1, 0xffff).toString(16)}::`;
  const dispose = async () => {
    for (const ns of made.splice(0).reverse()) await ns.dispose().catch(() => undefined);
  };
  try {
    const bridgeNs = await createTempNetns();
    made.push(bridgeNs);
    const bridgeIpv4 = `${SEGMENT_V4_PREFIX}${BRIDGE_HOST_OCTET}`;
    await run('ip', ['-n', bridgeNs.name, 'link', 'add', 'ul', 'type', 'bridge']);
    await run('ip', ['-n', bridgeNs.name, 'addr', 'add', `${bridgeIpv4}/24`, 'dev', 'ul']);
    await run('ip', ['-n', bridgeNs.name, '-6', 'addr', 'add', `${v6Prefix}${BRIDGE_HOST_OCTET.toString(16)}/64`, 'dev', 'ul', 'nodad']);
    await run('ip', ['-n', bridgeNs.name, 'link', 'set', 'ul', 'up']);
    await run('ip', ['-n', bridgeNs.name, 'link', 'set', 'lo', 'up']);
    await switchWithoutNetfilter(bridgeNs.name);

    const addHost = async (): Promise<SegmentHost> => {
      const n = hosts.length + 1;
      if (n >= BRIDGE_HOST_OCTET) throw new Error('the segment is full');
      const ns = await createTempNetns();
      made.push(ns);
      const ipv4 = `${SEGMENT_V4_PREFIX}${n}`;
      const ipv6 = `${v6Prefix}${n.toString(16)}`;
      await run('ip', ['-n', bridgeNs.name, 'link', 'add', `p${n}`, 'type', 'veth', 'peer', 'name', 'ul0', 'netns', ns.name]);
      await run('ip', ['-n', bridgeNs.name, 'link', 'set', `p${n}`, 'master', 'ul', 'up']);
      await run('ip', ['-n', ns.name, 'addr', 'add', `${ipv4}/24`, 'dev', 'ul0']);
      await run('ip', ['-n', ns.name, '-6', 'addr', 'add', `${ipv6}/64`, 'dev', 'ul0', 'nodad']);
      await run('ip', ['-n', ns.name, 'link', 'set', 'ul0', 'up']);
      await run('ip', ['-n', ns.name, 'link', 'set', 'lo', 'up']);
      await nsExec(ns.name, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      await nsExec(ns.name, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
      const host = { n, ns, ipv4, ipv6 };
      hosts.push(host);
      return host;
    };
    for (let i = 0; i < count; i++) await addHost();

    return {
      bridgeNs,
      bridgeIpv4,
      hosts,
      owns: (address) => address.startsWith(SEGMENT_V4_PREFIX) ? /^192\.0\.2\.\d{1,3}$/.test(address) : address.toLowerCase().startsWith(v6Prefix),
      addHost,
      setLink: async (host, up) => {
        // Retried: on a loaded machine (namespaces torn down by other suites hold the RTNL lock)
        // one `ip` call can outlast its timeout, and a link left down breaks every later test.
        for (let attempt = 1; ; attempt++) {
          try {
            await run('ip', ['-n', bridgeNs.name, 'link', 'set', `p${host.n}`, up ? 'up' : 'down']);
            return;
          } catch (err) {
            if (attempt >= 3) throw err;
          }
        }
      },
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
