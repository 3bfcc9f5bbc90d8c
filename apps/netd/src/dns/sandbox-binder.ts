import { IpAddr } from '@app/common';
import type { DnsListener, DnsServer, ListenerScope } from '@app/dns';
import type { NetnsRef, Netlink } from '@app/kernel';
// deep imports: the resolver process loads this file, and not the rest of the kernel lib
import { listenTcpInNetns } from '@app/kernel/native/listen-socket';
import { withNetns } from '@app/kernel/native/with-netns';

/** Docker's address for the embedded DNS inside every container namespace. */
export const SANDBOX_DNS_ADDRESS = '127.0.0.11';
export const SANDBOX_DNS_PORT = 53;

/**
 * Opens the UDP and TCP listeners of one sandbox's DNS inside its namespace, or throws with
 * nothing left open. A port so that unit tests (fake kernel, no namespaces) can listen on
 * loopback instead.
 */
export type SandboxBinder = (server: DnsServer, scope: ListenerScope, ns: NetnsRef) => Promise<DnsListener[]>;

/**
 * The real binder: `lo` up (127.0.0.11 is only local once it is), UDP bound inside a setns
 * window, TCP from a socket born in the namespace and handed to net.Server.
 */
export function namespaceBinder(netlink: Netlink): SandboxBinder {
  return async (server, scope, ns) => {
    await loopbackUp(netlink, ns);
    return bindInNamespace(server, scope, ns);
  };
}

/** 127.0.0.11 is only a local address once `lo` is up (a fresh namespace has it down). */
export async function loopbackUp(netlink: Netlink, ns: NetnsRef): Promise<void> {
  const lo = await netlink.getLink(ns, 'lo');
  if (lo && !lo.up) await netlink.setLinkUp(ns, 'lo');
}

/** The UDP and TCP listeners on 127.0.0.11:53 inside `ns` (its `lo` already up), or nothing. */
export async function bindInNamespace(server: DnsServer, scope: ListenerScope, ns: NetnsRef): Promise<DnsListener[]> {
  const udp = await server.listenUdp({ address: SANDBOX_DNS_ADDRESS, port: SANDBOX_DNS_PORT, scope, enter: (fn) => withNetns(ns, fn) });
  try {
    const fd = listenTcpInNetns(ns, IpAddr.parse(SANDBOX_DNS_ADDRESS), SANDBOX_DNS_PORT);
    const tcp = await server.listenTcp({ scope, fd });
    return [udp, tcp];
  } catch (e) {
    await udp.close();
    throw e;
  }
}
