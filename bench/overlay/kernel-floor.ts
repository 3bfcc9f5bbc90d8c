// bench/overlay: the kernel floor for the throughput ratio. The same data path as netd's overlay
// (a bridge and a vxlan device per host, learning off, ARP proxy, static FDB and neighbour entries,
// MTU 1450, two hosts on one cable) and the same bridge baseline, built with `ip -batch` in
// namespaces where netd never ran: no nft table, so no conntrack and no hooks but the kernel's own.
// Its overlay/bridge ratio is what the kernel itself gives on this machine; netd's ratio is read
// against it.
import { createTempNetns, run, type TempNetns } from '@app/kernel/testing';
import type { Sandbox } from './throughput';

export interface KernelFloor {
  /** The sandbox the client runs in (host 1). */
  readonly client: Sandbox;
  /** Its neighbour on host 1's bridge. */
  readonly local: Sandbox;
  /** The sandbox on host 2, across the overlay. */
  readonly remote: Sandbox;
  dispose(): Promise<void>;
}

const MTU = 1450;
const VNI = 4097;
const SUBNET = '10.215.0';

const batch = (ns: string, lines: string[]) => run('ip', ['-n', ns, '-batch', '-'], lines.join('\n') + '\n');

export async function createKernelFloor(): Promise<KernelFloor> {
  const made: TempNetns[] = [];
  const dispose = async () => {
    for (const ns of made.splice(0).reverse()) await ns.dispose().catch(() => undefined);
  };
  const netns = async () => {
    const ns = await createTempNetns();
    made.push(ns);
    return ns;
  };
  try {
    const [h1, h2] = [await netns(), await netns()];
    const vtep = (h: number) => `192.0.2.${h}`;
    await run('ip', ['-n', h1.name, 'link', 'add', 'ul0', 'type', 'veth', 'peer', 'name', 'ul0', 'netns', h2.name]);
    for (const [i, h] of [h1, h2].entries()) {
      await batch(h.name, [
        'link set lo up',
        `addr add ${vtep(i + 1)}/24 dev ul0`,
        'link set ul0 up',
        `link add ov mtu ${MTU} type bridge`,
        'link set ov up',
        `link add vx mtu ${MTU} type vxlan id ${VNI} local ${vtep(i + 1)} dstport 4789 nolearning proxy`,
        'link set vx master ov',
        'link set vx up',
      ]);
    }
    const sandbox = async (host: TempNetns, octet: number): Promise<Sandbox & { mac: string }> => {
      const ns = await netns();
      const mac = `02:42:0a:d7:00:${octet.toString(16).padStart(2, '0')}`;
      await batch(host.name, [`link add v${octet} mtu ${MTU} type veth peer name eth0 netns ${ns.name}`, `link set v${octet} master ov`, `link set v${octet} up`]);
      await batch(ns.name, ['link set lo up', `link set eth0 address ${mac}`, `addr add ${SUBNET}.${octet}/24 dev eth0`, 'link set eth0 up']);
      return { ns: ns.name, ip: `${SUBNET}.${octet}`, mac };
    };
    const client = await sandbox(h1, 2);
    const local = await sandbox(h1, 3);
    const remote = await sandbox(h2, 4);
    // What netd programs from the cluster state: each side's remote endpoint in the vxlan FDB (to its
    // VTEP), in the bridge's FDB (to the vxlan port) and in the vxlan device's neighbour table.
    for (const [host, peer, at] of [
      [h1, remote, vtep(2)],
      [h2, client, vtep(1)],
    ] as const) {
      await run('bridge', ['-n', host.name, '-batch', '-'], `fdb add ${peer.mac} dev vx dst ${at} self permanent\nfdb add ${peer.mac} dev vx master static\n`);
      await batch(host.name, [`neigh add ${peer.ip} lladdr ${peer.mac} dev vx nud permanent`]);
    }
    return { client, local, remote, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
