import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Prefix } from '@app/common';
import { OverlayDriver } from '@app/drivers';
import { DefaultIpam } from '@app/ipam';
import type { NetnsRef } from '@app/kernel';
import { FakeFirewall, FakeNetlink, FakeSysctl } from '@app/kernel/testing';
import { FakeDiscovery, FakeHub } from '@app/overlay/testing';
import pino from 'pino';
import { ClusterService, type DiscoveryParams } from '../cluster/cluster.service';
import { ClusterStore } from '../cluster/cluster-store';
import type { RemoteNames } from '../dns/sandbox-dns';
import { NetworkLifecycle } from '../networks/network-lifecycle';
import { openDatabase } from '../store/database';
import { SqliteIpamStore } from '../store/sqlite-ipam-store';
import { StateStore } from '../store/state-store';

/** The embedded DNS's remote names as a map (network/endpoint → name), enough to see what is served. */
export class RecordingNames implements RemoteNames {
  readonly names = new Map<string, string>();
  upsertRemote(networkId: string, r: { id: string; name: string }): void {
    this.names.set(`${networkId}/${r.id}`, r.name);
  }
  removeRemote(networkId: string, id: string): void {
    this.names.delete(`${networkId}/${id}`);
  }
}

export interface ClusterHostOptions {
  /** The same host again (its data root, namespace and log), as after a daemon restart. */
  readonly restart?: { readonly dir: string; readonly hostNs: NetnsRef; readonly logs?: string[] };
  /** The membership clock (default: real time). */
  readonly now?: () => number;
  readonly deadAfterMs?: number;
  /** The embedded DNS's remote names (default: a fresh one). */
  readonly dns?: RecordingNames;
}

/**
 * One daemon's cluster side on the fake kernel: its ClusterService over SQLite in a temp data root,
 * the overlay driver on FakeNetlink, FakeDiscovery on `hub` with every membership parameter the
 * service passes (timers off: tests call tick()), and its log (info and up) kept in `logs`.
 * `clusterHosts()` registers the cleanup (services stopped, data roots removed) after each test.
 */
export function clusterHosts() {
  const dirs: string[] = [];
  const services: ClusterService[] = [];
  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function host(hub: FakeHub, netlink: FakeNetlink, n: number, o: ClusterHostOptions = {}) {
    const dir = o.restart?.dir ?? mkdtempSync(join(tmpdir(), 'netd-cluster-'));
    if (!dirs.includes(dir)) dirs.push(dir);
    const db = openDatabase(dir);
    let hostNs = o.restart?.hostNs;
    if (!hostNs) {
      hostNs = netlink.addNamespace(`/run/netns/h${n}`);
      await netlink.createLink(hostNs, { kind: 'dummy', name: 'eth0', mtu: 1500 });
      await netlink.addAddress(hostNs, 'eth0', Prefix.parse(`192.0.2.${n}/24`));
    }
    const logs = o.restart?.logs ?? [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
    const dns = o.dns ?? new RecordingNames();
    const driver = new OverlayDriver({ netlink, firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink), hostNs, vtep: () => svc.vtep() });
    const store = new StateStore(db);
    const ipam = new DefaultIpam({ store: new SqliteIpamStore(db) });
    const keyPath = join(dir, 'cluster', 'node.key');
    const clusterStore = new ClusterStore(db, keyPath);
    /** What the service asked for, each time it built its discovery. */
    const made: DiscoveryParams[] = [];
    const svc: ClusterService = new ClusterService({
      store,
      ipam,
      lifecycle: new NetworkLifecycle({ store, ipam }),
      clusterStore,
      driver,
      log: pino({ level: 'info' }, sink),
      makeDiscovery: (p) => {
        // the transport's parameters are hyperswarm's; the fake's timers stay off
        made.push(p);
        const { identity, bootstrap: _b, host: _h, port: _p, peers: _peers, tickMs: _t, ...gossip } = p;
        return new FakeDiscovery(hub, { ...gossip, seed: identity.seed });
      },
      deadAfterMs: o.deadAfterMs,
      now: o.now,
      dns,
    });
    services.push(svc);
    return { svc, store, ipam, hostNs, driver, dns, dir, keyPath, clusterStore, logs, made };
  }

  /** A host the test stopped itself (a restart): no second stop after the test. */
  function stopped(svc: ClusterService): void {
    const i = services.indexOf(svc);
    if (i >= 0) services.splice(i, 1);
  }

  return { host, stopped, dirs };
}

export type ClusterHost = Awaited<ReturnType<ReturnType<typeof clusterHosts>['host']>>;

/** Let the hub deliver and every host's service and driver finish what that started, `rounds` times over. */
export async function settleHosts(hub: FakeHub, hosts: readonly Pick<ClusterHost, 'svc' | 'driver'>[], rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await hub.settle();
    await Promise.all(hosts.flatMap((x) => [x.svc.idle(), x.driver.idle()]));
  }
}

/** `cluster init` on the first host, `cluster join` with its token on the others, host i+1 at 192.0.2.(i+1) named h(i+1). */
export async function formCluster(hosts: readonly Pick<ClusterHost, 'svc'>[]): Promise<string> {
  const { token } = await hosts[0].svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
  for (const [i, h] of hosts.entries()) if (i > 0) await h.svc.join({ token, advertiseAddr: `192.0.2.${i + 1}`, name: `h${i + 1}` });
  return token;
}
