import { Prefix } from '@app/common';
import { FakeRuntime } from '@app/container/testing';
import { file, makeImage } from '@app/image/testing/fixtures';
import { FakeFirewall, FakeNetlink, FakeNetns, FakeSysctl } from '@app/kernel/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULTS, type NetdConfig } from '../config/netd-config';
import { composeServices, type KernelPorts, type Services } from '../composition-root';
import { reconcile } from '../lifecycle/reconciler';
import { ContainerNetworking } from './container-network';
import { prng } from '@app/common/testing';

type Kernel = KernelPorts & { netlink: FakeNetlink; netns: FakeNetns; containerRuntime: FakeRuntime };

/** The daemon's services on the fake kernel and FakeRuntime; `restart` keeps kernel, runtime and data root. */
interface Booted {
  rt: Services;
  kernel: Kernel;
  hostNs: { path: string };
  dataRoot: string;
}

async function boot(reuse?: { kernel: Kernel; dataRoot: string }): Promise<Booted> {
  const dataRoot = reuse?.dataRoot ?? mkdtempSync(join(tmpdir(), 'netd-attach-'));
  let kernel = reuse?.kernel;
  if (!kernel) {
    const netlink = new FakeNetlink();
    kernel = { netlink, netns: new FakeNetns(netlink), firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink), containerRuntime: new FakeRuntime() };
  }
  const hostNs = kernel.netlink.addNamespace('/run/netns/fake-host');
  const config: NetdConfig = { ...DEFAULTS, dataRoot, execRoot: join(dataRoot, 'run'), hostNetns: hostNs.path, seedBusybox: false };
  const rt = composeServices(config, kernel, pino({ level: 'silent' }));
  await reconcile(rt);
  await rt.containers.adopt();
  if (!reuse) {
    const img = await makeImage(rt.images.images.store, [[file('bin/sleep', '#!')]], { cmd: ['sleep', '1000'] });
    await rt.images.images.store.setTag('docker.io/library/busybox:latest', img.manifestDigest);
  }
  return { rt, kernel, hostNs, dataRoot };
}

/** Drop a daemon as kill -9 would: no teardown, whatever it was awaiting never resumes. */
function abandon(d: Booted): void {
  d.rt.containers.detach();
  d.rt.db.close();
}

async function network(d: Booted, name: string, subnet: string): Promise<string> {
  return (await d.rt.networks.create({ name, ipam: { config: [{ Subnet: subnet }] } })).Id;
}

async function container(d: Booted, name: string, opts: { start?: boolean; network?: string } = {}): Promise<string> {
  const { Id } = await d.rt.containers.create(name, { Image: 'busybox', HostConfig: { NetworkMode: opts.network ?? 'bridge' } });
  if (opts.start ?? true) await d.rt.containers.start(Id);
  return Id;
}

const connect = (d: Booted, net: string, id: string, ec: object = {}) => d.rt.containers.connectNetwork(net, id, ec);
const disconnect = (d: Booted, net: string, id: string) => d.rt.containers.disconnectNetwork(net, id);

/** name → IPv4 (with prefix) as each of the three views sees one container. */
async function threeViews(d: Booted, id: string): Promise<{ container: Record<string, string>; network: Record<string, string>; kernel: Record<string, string> }> {
  const ins = await d.rt.containerViews.inspect(id);
  const container = Object.fromEntries(
    Object.entries(ins.NetworkSettings.Networks).map(([name, e]) => [name, e.IPAddress ? `${e.IPAddress}/${e.IPPrefixLen}` : '']),
  );
  const network: Record<string, string> = {};
  for (const n of d.rt.store.listNetworks()) {
    const c = d.rt.networks.inspect(n.id).Containers[id];
    if (c) network[n.name] = c.IPv4Address;
  }
  const kernel: Record<string, string> = {};
  const sandbox = d.rt.store.sandboxById(id);
  if (sandbox) {
    const ns = `${d.rt.config.netnsDir}/${sandbox.netns}`;
    for (const l of d.kernel.netlink.linksIn(ns).filter((x) => x.name !== 'lo')) {
      const host = d.kernel.netlink.linksIn(d.hostNs).find((h) => h.peer?.ns === ns && h.peer.name === l.name);
      const bridge = host?.master;
      const n = d.rt.store.listNetworks().find((x) => x.options['com.docker.network.bridge.name'] === bridge || `br-${x.id.slice(0, 12)}` === bridge);
      const addrs = d.kernel.netlink.addressesOf(ns, l.name).filter((a) => a.family === 4);
      kernel[n?.name ?? `?${l.name}`] = addrs.map((a) => a.toString()).join(',');
    }
  }
  return { container, network, kernel };
}

/** Every running container: the three views agree; no address is held twice or leaked. */
async function expectAgreement(d: Booted): Promise<void> {
  const held: string[] = [];
  for (const r of d.rt.containers.list()) {
    const v = await threeViews(d, r.id);
    if (r.state.running) {
      expect({ id: r.id, view: v.network }).toEqual({ id: r.id, view: v.container });
      expect({ id: r.id, view: v.kernel }).toEqual({ id: r.id, view: v.container });
    } else {
      expect({ id: r.id, network: v.network, kernel: v.kernel }).toEqual({ id: r.id, network: {}, kernel: {} });
    }
    held.push(...Object.values(v.network));
  }
  expect(new Set(held).size).toBe(held.length);
  for (const n of d.rt.store.listNetworks()) {
    const insp = d.rt.networks.inspect(n.id);
    for (const [subnet, s] of Object.entries(insp.Status?.IPAM.Subnets ?? {})) {
      const inSubnet = Object.values(insp.Containers).filter((c) => c.IPv4Address && Prefix.parse(subnet).contains(Prefix.parse(c.IPv4Address).address));
      // network, gateway and broadcast on top of the endpoints
      expect({ network: n.name, inUse: s.IPsInUse }).toEqual({ network: n.name, inUse: inSubnet.length + 3 });
    }
  }
  const veths = d.kernel.netlink.linksIn(d.hostNs).filter((l) => l.kind === 'veth');
  expect(veths.length).toBe(d.rt.store.listEndpoints().length);
}

/**
 * Make the `n`-th changing netlink call never return, as if the daemon was killed there: `before`
 * the kernel saw it, or `after`. Resolves `fired` when it happens.
 */
function crashAt(netlink: FakeNetlink, n: number, when: 'before' | 'after'): { fired: Promise<void>; disarm(): void } {
  const verbs = ['createLink', 'deleteLink', 'setLinkUp', 'setLinkDown', 'setLinkMaster', 'setLinkMtu', 'setLinkMac', 'renameLink', 'moveLink',
    'addAddress', 'deleteAddress', 'addRoute', 'deleteRoute'] as const;
  let left = n;
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  const target = netlink as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const v of verbs) {
    const original = target[v].bind(netlink);
    target[v] = async (...args: unknown[]) => {
      if (--left !== 0) return original(...args);
      if (when === 'after') await original(...args);
      fire();
      return new Promise(() => undefined);
    };
  }
  return { fired, disarm: () => verbs.forEach((v) => delete target[v]) };
}

describe(ContainerNetworking.name, () => {
  let d: Booted;
  beforeEach(async () => {
    d = await boot();
  });
  afterEach(() => {
    try {
      abandon(d);
    } catch {
      // already abandoned by the test
    }
    rmSync(d.dataRoot, { recursive: true, force: true });
  });

  describe('restart', () => {
    it("publishes Docker's sequence: kill or stop, die, start, then restart", async () => {
      const id = await container(d, 'c1');
      const seen: string[] = [];
      const sub = d.rt.events.subscribe(undefined, (e) => {
        if (e.Type === 'container' && e.Actor.ID === id) seen.push(e.Action);
      });
      await d.rt.containers.restart(id, { timeoutSec: 0 });
      sub.unsubscribe();
      expect(seen.at(-1)).toBe('restart');
      expect(seen.indexOf('start')).toBeGreaterThan(seen.indexOf('die'));
      expect(seen.indexOf('restart')).toBeGreaterThan(seen.indexOf('start'));
    });
  });

  describe('published ports', () => {
    const publishRules = (dd: Booted) => (dd.kernel.firewall as FakeFirewall).tableOf(dd.hostNs, 'inet', 'netd')?.split('\n').filter((l) => /dnat (ip6? )?to/.test(l)) ?? [];

    it('go with the first network that is not internal, whatever order the networks were connected in (compose)', async () => {
      await d.rt.networks.create({ name: 'back', internal: true, ipam: { config: [{ Subnet: '10.72.0.0/24' }] } });
      await network(d, 'front', '10.73.0.0/24');
      const { Id } = await d.rt.containers.create('web', { Image: 'busybox', HostConfig: { NetworkMode: 'back', PortBindings: { '80/tcp': [{ HostPort: '18080' }] } } });
      await connect(d, 'front', Id);
      await d.rt.containers.start(Id);
      const rules = publishRules(d);
      expect(rules.join('\n')).toContain('18080');
      expect(rules.join('\n')).toContain('10.73.0.2');
    });

    it('move to a network connected while running when the container had only internal ones', async () => {
      await d.rt.networks.create({ name: 'back', internal: true, ipam: { config: [{ Subnet: '10.72.0.0/24' }] } });
      await network(d, 'front', '10.73.0.0/24');
      const { Id } = await d.rt.containers.create('web', { Image: 'busybox', HostConfig: { NetworkMode: 'back', PortBindings: { '80/tcp': [{ HostPort: '18080' }] } } });
      await d.rt.containers.start(Id);
      expect(publishRules(d)).toEqual([]);
      await connect(d, 'front', Id);
      expect(publishRules(d).join('\n')).toContain('10.73.0.2');
    });
  });

  describe('connect', () => {
    it('two concurrent connects of one running container to two networks both show in every view', async () => {
      await network(d, 'a', '10.70.0.0/24');
      await network(d, 'b', '10.71.0.0/24');
      const id = await container(d, 'c1');
      await Promise.all([connect(d, 'a', id), connect(d, 'b', id)]);
      const v = await threeViews(d, id);
      expect(Object.keys(v.container).sort()).toEqual(['a', 'b', 'bridge']);
      await expectAgreement(d);
      await disconnect(d, 'a', id);
      await disconnect(d, 'b', id);
      expect(Object.keys((await threeViews(d, id)).container)).toEqual(['bridge']);
      await expectAgreement(d);
    });

    it('concurrent connects of a stopped container are all recorded for its next start', async () => {
      await network(d, 'a', '10.70.0.0/24');
      await network(d, 'b', '10.71.0.0/24');
      const id = await container(d, 'c1', { start: false });
      await Promise.all([connect(d, 'a', id), connect(d, 'b', id)]);
      await d.rt.containers.start(id);
      expect(Object.keys((await threeViews(d, id)).container).sort()).toEqual(['a', 'b', 'bridge']);
      await expectAgreement(d);
    });
  });

  describe('disconnect', () => {
    it('two concurrent disconnects from two networks both take effect', async () => {
      await network(d, 'a', '10.70.0.0/24');
      await network(d, 'b', '10.71.0.0/24');
      const id = await container(d, 'c1');
      await connect(d, 'a', id);
      await connect(d, 'b', id);
      await Promise.all([disconnect(d, 'a', id), disconnect(d, 'b', id)]);
      expect(Object.keys((await threeViews(d, id)).container)).toEqual(['bridge']);
      await expectAgreement(d);
    });

    it('a connect racing a disconnect of another network loses neither', async () => {
      await network(d, 'a', '10.70.0.0/24');
      await network(d, 'b', '10.71.0.0/24');
      const id = await container(d, 'c1');
      await connect(d, 'a', id);
      await Promise.all([disconnect(d, 'a', id), connect(d, 'b', id)]);
      expect(Object.keys((await threeViews(d, id)).container).sort()).toEqual(['b', 'bridge']);
      await expectAgreement(d);
    });
  });

  describe('crash recovery', () => {
    type Op = 'connect' | 'disconnect';
    const steps: Array<[Op, 'before' | 'after']> = [['connect', 'before'], ['connect', 'after'], ['disconnect', 'before'], ['disconnect', 'after']];

    it.each(steps)('a %s killed %s any one kernel call is repaired at the next start', async (op, when) => {
      let crashes = 0;
      for (let n = 1; n < 100; n++) {
        await network(d, 'a', '10.70.0.0/24');
        const id = await container(d, 'c1');
        if (op === 'disconnect') await connect(d, 'a', id, { Aliases: ['x'] });
        const crash = crashAt(d.kernel.netlink, n, when);
        const p = op === 'connect' ? connect(d, 'a', id, { IPAMConfig: { IPv4Address: '10.70.0.9' } }) : disconnect(d, 'a', id);
        p.catch(() => undefined);
        const outcome = await Promise.race([p.then(() => 'done'), crash.fired.then(() => 'crashed')]);
        crash.disarm();
        if (outcome === 'done') break;
        crashes++;
        abandon(d);
        d = await boot({ kernel: d.kernel, dataRoot: d.dataRoot });
        const r = d.rt.containers.list().find((x) => x.id === id)!;
        expect(r.state.running).toBe(true);
        await expectAgreement(d);
        // and the container is usable: the same operations work afterwards
        const on = 'a' in (await threeViews(d, id)).container;
        if (on) await disconnect(d, 'a', id);
        await connect(d, 'a', id, { IPAMConfig: { IPv4Address: '10.70.0.9' } });
        await expectAgreement(d);
        await d.rt.containers.delete(id, { force: true });
        await d.rt.networks.delete('a');
        expect(d.rt.store.listEndpoints()).toEqual([]);
        expect(d.kernel.netlink.linksIn(d.hostNs).filter((l) => l.kind === 'veth')).toEqual([]);
      }
      // the loop went through every kernel call of the operation (a connect makes six, a disconnect one)
      expect(crashes).toBe(op === 'connect' ? 6 : 1);
    });

    it.each(['connect', 'disconnect'] as const)('a %s killed while it rewrites the hosts file (kernel work and records done) is kept', async (op) => {
      await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      if (op === 'disconnect') await connect(d, 'a', id);
      let fire!: () => void;
      const fired = new Promise<void>((r) => (fire = r));
      jest.spyOn(d.rt.containerNet, 'writeFiles').mockImplementation(() => {
        fire();
        return new Promise(() => undefined);
      });
      void (op === 'connect' ? connect(d, 'a', id) : disconnect(d, 'a', id)).catch(() => undefined);
      await fired;
      abandon(d);
      d = await boot({ kernel: d.kernel, dataRoot: d.dataRoot });
      await expectAgreement(d);
      expect('a' in (await threeViews(d, id)).container).toBe(op === 'connect');
    });
  });

  describe('racing other verbs', () => {
    /** Run `a` and `b` with `b` let in after `ticks` turns of the event loop, both orders covered by the callers. */
    async function race<A, B>(a: () => Promise<A>, b: () => Promise<B>, ticks: number): Promise<[PromiseSettledResult<A>, PromiseSettledResult<B>]> {
      const pa = a();
      for (let i = 0; i < ticks; i++) await new Promise((r) => setImmediate(r));
      return Promise.allSettled([pa, b()]) as Promise<[PromiseSettledResult<A>, PromiseSettledResult<B>]>;
    }
    const reason = (r: PromiseSettledResult<unknown>) => (r.status === 'rejected' ? `${(r.reason as Error).constructor.name}: ${(r.reason as Error).message}` : 'ok');

    it.each([0, 1, 3, 10])('container delete -f against connect (connect let in after %i ticks): nothing of the container is left', async (ticks) => {
      await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      const [del, conn] = await race(() => d.rt.containers.delete(id, { force: true }), () => connect(d, 'a', id), ticks);
      expect(reason(del)).toBe('ok');
      expect(['ok', `NotFoundError: No such container: ${id}`]).toContain(reason(conn));
      await d.rt.containers.wait(id, 'removed').catch(() => undefined);
      expect(d.rt.store.listEndpoints()).toEqual([]);
      expect(d.rt.store.listSandboxes()).toEqual([]);
      await expectAgreement(d);
    });

    it.each([0, 1, 3, 10])('connect against container delete -f (delete let in after %i ticks): nothing of the container is left', async (ticks) => {
      await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      const [conn, del] = await race(() => connect(d, 'a', id), () => d.rt.containers.delete(id, { force: true }), ticks);
      expect(reason(del)).toBe('ok');
      expect(['ok', `NotFoundError: No such container: ${id}`]).toContain(reason(conn));
      expect(d.rt.store.listEndpoints()).toEqual([]);
      expect(d.rt.store.listSandboxes()).toEqual([]);
      await expectAgreement(d);
    });

    it.each([0, 1, 3, 10])('stop against connect (after %i ticks): the network is recorded or refused, and is there at the next start', async (ticks) => {
      await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      const [stop, conn] = await race(() => d.rt.containers.stop(id, { timeoutSec: 0 }), () => connect(d, 'a', id), ticks);
      expect(reason(stop)).toBe('ok');
      expect(reason(conn)).toBe('ok');
      await expectAgreement(d);
      await d.rt.containers.start(id);
      expect(Object.keys((await threeViews(d, id)).container).sort()).toEqual(['a', 'bridge']);
      await expectAgreement(d);
    });

    it.each([0, 1, 3, 10])('restart against disconnect (after %i ticks): the network is gone in every view', async (ticks) => {
      await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      await connect(d, 'a', id);
      const [restart, disc] = await race(() => d.rt.containers.restart(id, { timeoutSec: 0 }), () => disconnect(d, 'a', id), ticks);
      expect(reason(restart)).toBe('ok');
      expect(reason(disc)).toBe('ok');
      expect(Object.keys((await threeViews(d, id)).container)).toEqual(['bridge']);
      await expectAgreement(d);
    });

    it.each([0, 1, 3, 10])('network delete against connect of a running container (after %i ticks): one of them wins', async (ticks) => {
      const netId = await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      const [conn, del] = await race(() => connect(d, 'a', id), () => d.rt.networks.delete('a'), ticks);
      const outcome = [reason(conn), reason(del)];
      expect([
        ['ok', `ConflictError: error while removing network: network a id ${netId} has active endpoints`],
        ['NotFoundError: network a not found', 'ok'],
      ]).toContainEqual(outcome);
      await expectAgreement(d);
    });
  });

  describe('create', () => {
    it('stores the network request with the record: no moment (or crash) shows the container without it', async () => {
      await network(d, 'a', '10.70.0.0/24');
      const store = d.rt.containerStore;
      const seen: unknown[] = [];
      const put = store.put.bind(store);
      jest.spyOn(store, 'put').mockImplementation(async (r) => {
        await put(r);
        seen.push(store.net(r.id)?.networks.map((x) => d.rt.store.getNetwork(x.networkId)?.name));
      });
      const id = await container(d, 'c1', { start: false, network: 'a' });
      expect(seen[0]).toEqual(['a']);
      expect(store.net(id)?.networks.map((x) => x.networkId)).toEqual([d.rt.store.networkByName('a')!.id]);
    });
  });

  describe('alignWithEndpoints', () => {
    it('at start, records left diverged by an earlier version (one network lost, one stale) follow the endpoints', async () => {
      await network(d, 'a', '10.70.0.0/24');
      await network(d, 'b', '10.71.0.0/24');
      const id = await container(d, 'c1');
      await connect(d, 'a', id, { Aliases: ['web'] });
      await connect(d, 'b', id);
      await disconnect(d, 'b', id);
      // what the lost updates left: `a` dropped from the record, `b` written back into it
      const b = d.rt.store.networkByName('b')!.id;
      d.rt.containerStore.updateNet(id, (n) => ({ ...n, networks: [...n.networks.filter((x) => x.networkId !== d.rt.store.networkByName('a')!.id), { networkId: b, aliases: [], links: [] }] }));
      abandon(d);
      d = await boot({ kernel: d.kernel, dataRoot: d.dataRoot });
      expect(Object.keys((await threeViews(d, id)).container).sort()).toEqual(['a', 'bridge']);
      expect((await d.rt.containerViews.inspect(id)).NetworkSettings.Networks.a.Aliases).toEqual(['web']);
      await expectAgreement(d);
      await disconnect(d, 'a', id);
      await expectAgreement(d);
    });
  });

  describe('crash recovery of other verbs', () => {
    /** Make the container's network teardown hang, as if the daemon died right before it. */
    function crashBeforeTearDown(): Promise<void> {
      let fire!: () => void;
      const fired = new Promise<void>((r) => (fire = r));
      jest.spyOn(d.rt.containerNet, 'tearDown').mockImplementation(() => {
        fire();
        return new Promise(() => undefined);
      });
      return fired;
    }

    it('a delete killed after the record went and before the network teardown leaves nothing at the next start', async () => {
      await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      await connect(d, 'a', id);
      const fired = crashBeforeTearDown();
      const deleted = d.rt.containers.delete(id, { force: true });
      deleted.catch(() => undefined);
      await fired;
      // the exit's release hangs first; the removal goes on up to the teardown it awaits
      while (d.rt.containerStore.getSync(id)) await new Promise((r) => setImmediate(r));
      abandon(d);
      d = await boot({ kernel: d.kernel, dataRoot: d.dataRoot });
      expect(d.rt.containers.list()).toEqual([]);
      expect(d.rt.store.listSandboxes()).toEqual([]);
      expect(d.rt.store.listEndpoints()).toEqual([]);
      expect(d.kernel.netlink.linksIn(d.hostNs).filter((l) => l.kind === 'veth')).toEqual([]);
      await expectAgreement(d);
    });

    it('a stop killed before the network teardown releases the network at the next start', async () => {
      await network(d, 'a', '10.70.0.0/24');
      const id = await container(d, 'c1');
      await connect(d, 'a', id);
      const fired = crashBeforeTearDown();
      void d.rt.containers.stop(id, { timeoutSec: 0 }).catch(() => undefined);
      await fired;
      abandon(d);
      d = await boot({ kernel: d.kernel, dataRoot: d.dataRoot });
      expect(d.rt.containers.list().map((r) => r.state.running)).toEqual([false]);
      await expectAgreement(d);
      await d.rt.containers.start(id);
      expect(Object.keys((await threeViews(d, id)).container).sort()).toEqual(['a', 'bridge']);
      await expectAgreement(d);
    });
  });

  describe('a burst of concurrent connects and disconnects', () => {
    it.each([1, 2, 3])('seed %i: every view agrees afterwards', async (seed) => {
      const rand = prng(seed);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
      const nets = ['n0', 'n1', 'n2', 'n3'];
      for (const [i, n] of nets.entries()) await network(d, n, `10.8${i}.0.0/24`);
      const ids: string[] = [];
      for (let i = 0; i < 8; i++) ids.push(await container(d, `c${i}`, { start: i < 6 }));
      const ops = Array.from({ length: 200 }, () => {
        const id = pick(ids);
        const n = pick(nets);
        if (rand() < 0.5) return disconnect(d, n, id).then(() => 200, (e) => e.constructor.name);
        const ec: Record<string, unknown> = {};
        if (rand() < 0.3) ec.Aliases = [`al${Math.floor(rand() * 5)}`];
        if (rand() < 0.2) ec.IPAMConfig = { IPv4Address: `10.8${nets.indexOf(n)}.0.${100 + Math.floor(rand() * 10)}` };
        return connect(d, n, id, ec).then(() => 200, (e) => e.constructor.name);
      });
      const outcomes = await Promise.all(ops);
      // only Docker's answers for a state that does not allow it (already / not connected, address taken)
      expect(outcomes.filter((o) => o !== 200 && o !== 'ConflictError')).toEqual([]);
      await expectAgreement(d);
      // a static address recorded for a stopped container may have gone to another meanwhile: that start fails, cleanly
      for (const id of ids.slice(6)) await d.rt.containers.start(id).catch((e) => expect(e.message).toMatch(/^Address already in use/));
      await expectAgreement(d);
    });
  });
});
