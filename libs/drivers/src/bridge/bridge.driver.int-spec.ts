import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateId, IpAddr, Prefix } from '@app/common';
import { NftFirewall, ProcSysctl, RtNetlink } from '@app/kernel';
import { createTempNetns, describeAsRoot, ipJson, normalizeNftJson, nsExec, run, type TempNetns } from '@app/kernel/testing';
import type { PortMapping } from '../driver-api';
import { eventually } from '@app/common/testing';
import { type NsProcess, pings, startIn } from '../testing/processes';
import type { CreateNetworkRequest } from '../driver-api';
import { BridgeDriver } from './bridge.driver';
import type { BridgeOptions } from './bridge.options';
import { networkFragment, renderTable } from './firewall-rules';

interface IpLink { ifname: string; linkinfo?: { info_kind?: string } }
interface IpRoute { dst: string; gateway?: string; dev?: string }

const rand = (n: number) => Math.floor(Math.random() * n);

describeAsRoot('BridgeDriver on the kernel', () => {
  const namespaces: TempNetns[] = [];
  const procs: NsProcess[] = [];
  const dirs: string[] = [];
  const sockets: RtNetlink[] = [];

  afterEach(async () => {
    for (const p of procs.splice(0)) await p.stop().catch(() => undefined);
    // Its per-namespace sockets would keep the deleted namespaces (and their links) alive.
    for (const s of sockets.splice(0)) s.close();
    for (const ns of namespaces.splice(0).reverse()) await ns.dispose().catch(() => undefined);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function netns(): Promise<TempNetns> {
    const ns = await createTempNetns();
    namespaces.push(ns);
    return ns;
  }

  /** A "host" namespace with the driver acting in it, and helpers to make networks and containers. */
  async function setup() {
    const host = await netns();
    await run('ip', ['-n', host.name, 'link', 'set', 'lo', 'up']); // as on a real host
    const netlink = new RtNetlink();
    sockets.push(netlink);
    const firewall = new NftFirewall();
    const driver = new BridgeDriver({ netlink, firewall, sysctl: new ProcSysctl(), hostNs: host.ref });
    const octet = 100 + rand(100);
    let next = rand(200);
    const network = async (raw: Record<string, string> = {}, extra: { internal?: boolean; v6?: boolean } = {}) => {
      const id = generateId();
      const third = next++;
      const subnet = Prefix.parse(`10.${octet}.${third}.0/24`);
      const v6 = Prefix.parse(`fd00:${octet}:${third}::/64`);
      await driver.createNetwork({
        networkId: id,
        name: `n${third}`,
        options: driver.parseOptions(raw),
        internal: extra.internal ?? false,
        enableIpv6: extra.v6 ?? false,
        ipv4: [{ subnet, gateway: subnet.nth(1n) }],
        ipv6: extra.v6 ? [{ subnet: v6, gateway: v6.nth(1n) }] : [],
      });
      let host4 = 2n;
      const attach = async (opts: { portMappings?: PortMapping[]; defaultRoute?: boolean } = {}) => {
        const ns = await netns();
        const endpointId = generateId();
        const n = host4++;
        const addresses = [Prefix.of(subnet.nth(n), 24), ...(extra.v6 ? [Prefix.of(v6.nth(n), 64)] : [])];
        await driver.createEndpoint({ networkId: id, endpointId, addresses });
        await driver.join({ networkId: id, endpointId, sandbox: ns.ref, ifname: 'eth0', defaultRoute: opts.defaultRoute ?? true, portMappings: opts.portMappings });
        return { ns, endpointId, ip: subnet.nth(n).toString(), ip6: v6.nth(n).toString() };
      };
      return { id, bridge: `br-${id.slice(0, 12)}`, gateway: subnet.nth(1n).toString(), gateway6: v6.nth(1n).toString(), attach };
    };
    /** An "outside" namespace joined to the host by a veth: host 172.31.<x>.1, outside .2. */
    const outside = async () => {
      const out = await netns();
      const x = rand(250);
      await run('ip', ['-n', host.name, 'link', 'add', 'out0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', out.name]);
      await run('ip', ['-n', host.name, 'addr', 'add', `172.31.${x}.1/24`, 'dev', 'out0']);
      await run('ip', ['-n', host.name, 'link', 'set', 'out0', 'up']);
      await run('ip', ['-n', out.name, 'addr', 'add', `172.31.${x}.2/24`, 'dev', 'eth0']);
      await run('ip', ['-n', out.name, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', out.name, 'link', 'set', 'lo', 'up']);
      return { ns: out, hostIp: `172.31.${x}.1`, ip: `172.31.${x}.2` };
    };
    return { host, driver, firewall, network, outside };
  }

  /** busybox httpd serving one file `hello` in the container's namespace on port 80. */
  async function webServer(ns: TempNetns): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'netd-www-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'hello'), 'hello from the container\n');
    procs.push(startIn(ns.name, 'busybox', ['httpd', '-f', '-p', '80', '-h', dir]));
    await eventually('the web server in the container', () => fetchIn(ns.name, 'http://127.0.0.1:80/hello'), 5000);
  }

  async function fetchIn(ns: string, url: string): Promise<string | undefined> {
    try {
      return await nsExec(ns, 'curl', ['-sS', '--max-time', '2', url]);
    } catch {
      return undefined;
    }
  }

  it('two containers on one bridge ping each other and their gateway', async () => {
    const { network } = await setup();
    const n = await network();
    const a = await n.attach();
    const b = await n.attach();
    expect(await pings(a.ns.name, b.ip)).toBe(true);
    expect(await pings(b.ns.name, a.ip)).toBe(true);
    expect(await pings(a.ns.name, n.gateway)).toBe(true);
    const routes = await ipJson<IpRoute[]>(a.ns.name, ['route', 'show', 'default']);
    expect(routes).toEqual([expect.objectContaining({ dst: 'default', gateway: n.gateway, dev: 'eth0' })]);
  });

  it('drops all traffic between two bridge networks', async () => {
    const { network } = await setup();
    const a = await (await network()).attach();
    const n2 = await network();
    const b = await n2.attach();
    expect(await pings(a.ns.name, b.ip)).toBe(false);
    expect(await pings(b.ns.name, a.ip)).toBe(false);
    expect(await pings(a.ns.name, n2.gateway)).toBe(true); // the host's address answers, as Docker's does
  });

  it('enable_icc=false drops traffic between containers of the same network', async () => {
    const { host, network } = await setup();
    // Prove the br_netfilter-free path: where the module is loaded, stop it from handing
    // bridged frames to the inet hooks in this namespace.
    if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
      await nsExec(host.name, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0']);
    }
    const n = await network({ 'com.docker.network.bridge.enable_icc': 'false' });
    const a = await n.attach();
    const b = await n.attach();
    expect(await pings(a.ns.name, b.ip)).toBe(false);
    expect(await pings(b.ns.name, a.ip)).toBe(false);
    const m = await network(); // an icc=true network beside it is unaffected
    const c = await m.attach();
    const d = await m.attach();
    expect(await pings(c.ns.name, d.ip)).toBe(true);
    expect(await pings(a.ns.name, n.gateway)).toBe(true);
  });

  it('an internal network has no way out, but its containers reach each other', async () => {
    const { network, outside } = await setup();
    const out = await outside();
    const n = await network({}, { internal: true });
    const a = await n.attach();
    const b = await n.attach();
    expect(await pings(a.ns.name, b.ip)).toBe(true);
    expect(await pings(a.ns.name, out.ip)).toBe(false);
    expect(await pings(a.ns.name, out.hostIp)).toBe(true); // the host itself, like Docker
  });

  it('masquerades egress: the outside sees the host address as the source', async () => {
    const { network, outside } = await setup();
    const out = await outside();
    const a = await (await network()).attach();
    const server = startIn(out.ns.name, 'python3', [
      '-c',
      'import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("0.0.0.0",9999));s.listen(1);s.settimeout(10);c,a=s.accept();print(a[0],flush=True)',
    ]);
    procs.push(server);
    const connected = await eventually('a connection to the outside', async () => {
      await nsExec(a.ns.name, 'python3', ['-c', `import socket;socket.create_connection(("${out.ip}",9999),timeout=1).close()`]);
      return true;
    }, 5000, 200);
    expect(connected).toBe(true);
    await server.exited();
    expect(server.output().trim()).toBe(out.hostIp);
  });

  it('a published port answers on the host address, on 127.0.0.1, from outside and by hairpin', async () => {
    const { host, network, outside } = await setup();
    const out = await outside();
    const n = await network();
    const web = await n.attach({ portMappings: [{ proto: 'tcp', hostPort: 8080, containerPort: 80 }] });
    const other = await n.attach();
    await webServer(web.ns);
    const want = 'hello from the container\n';
    expect(await fetchIn(host.name, `http://${out.hostIp}:8080/hello`)).toBe(want);
    expect(await fetchIn(host.name, 'http://127.0.0.1:8080/hello')).toBe(want);
    expect(await fetchIn(out.ns.name, `http://${out.hostIp}:8080/hello`)).toBe(want);
    expect(await fetchIn(other.ns.name, `http://${out.hostIp}:8080/hello`)).toBe(want);
  });

  it('IPv6: gateway on the bridge, address and default route in the container', async () => {
    const { network } = await setup();
    const n = await network({}, { v6: true });
    const a = await n.attach();
    const b = await n.attach();
    const ok = await eventually('an IPv6 ping between containers', async () => (await nsExec(a.ns.name, 'ping', ['-6', '-c1', '-W1', b.ip6]), true), 3000);
    expect(ok).toBe(true);
    const routes = await ipJson<IpRoute[]>(a.ns.name, ['-6', 'route', 'show', 'default']);
    expect(routes).toEqual([expect.objectContaining({ gateway: n.gateway6, dev: 'eth0' })]);
  });

  it('leaves nothing behind after leave and deleteNetwork, and never touches a foreign table', async () => {
    const { host, driver, network } = await setup();
    await nsExec(host.name, 'nft', ['-f', '-'], 'table inet foreign {\n\tchain c {\n\t\ttype filter hook forward priority 10; policy accept;\n\t\tcounter\n\t}\n}\n');
    const foreign = await nsExec(host.name, 'nft', ['list', 'table', 'inet', 'foreign']);
    const n = await network({ 'com.docker.network.bridge.enable_icc': 'false' });
    const a = await n.attach({ portMappings: [{ proto: 'tcp', hostPort: 8081, containerPort: 80 }] });
    await driver.leave(n.id, a.endpointId);
    expect((await ipJson<IpLink[]>(a.ns.name, ['link', 'show'])).map((l) => l.ifname)).toEqual(['lo']);
    await driver.deleteEndpoint(n.id, a.endpointId);
    await driver.deleteNetwork(n.id);
    expect((await ipJson<IpLink[]>(host.name, ['link', 'show'])).map((l) => l.ifname)).toEqual(['lo']);
    expect(await ipJson<IpRoute[]>(host.name, ['route', 'show'])).toEqual([]);
    expect(await ipJson<IpRoute[]>(host.name, ['-6', 'route', 'show'])).toEqual([]);
    const ours = await nsExec(host.name, 'nft', ['list', 'table', 'inet', 'netd']);
    expect(ours).not.toContain(n.bridge);
    expect(ours).not.toMatch(/veth|dnat ip to/);
    expect(await nsExec(host.name, 'nft', ['list', 'table', 'inet', 'foreign'])).toBe(foreign);
  });

  it('rejects a bridge name already used by a non-bridge link before changing anything', async () => {
    const { host, driver } = await setup();
    await run('ip', ['-n', host.name, 'link', 'add', 'taken0', 'type', 'veth', 'peer', 'name', 'taken1']);
    const before = await nsExec(host.name, 'ip', ['-json', 'link', 'show']);
    await expect(
      driver.createNetwork({
        networkId: generateId(),
        name: 'x',
        options: driver.parseOptions({ 'com.docker.network.bridge.name': 'taken0' }),
        internal: false,
        enableIpv6: false,
        ipv4: [{ subnet: Prefix.parse('10.250.0.0/24'), gateway: IpAddr.parse('10.250.0.1') }],
        ipv6: [],
      }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    expect(await nsExec(host.name, 'ip', ['-json', 'link', 'show'])).toBe(before);
    await expect(nsExec(host.name, 'nft', ['list', 'tables'])).resolves.toBe('');
  });

  it('reconcile removes orphaned netd links only', async () => {
    const { host, driver, network } = await setup();
    const n = await network();
    await n.attach();
    await run('ip', ['-n', host.name, 'link', 'add', 'br-0123456789ab', 'type', 'bridge']);
    const { removed } = await driver.reconcile({ networkIds: [], endpointIds: [] });
    expect(removed).toHaveLength(2);
    const left = (await ipJson<IpLink[]>(host.name, ['link', 'show'])).map((l) => l.ifname).sort();
    expect(left).toEqual(['br-0123456789ab', 'lo']);
  });

  it('every golden ruleset loads into nft', async () => {
    const host = await netns();
    const dir = join(__dirname, '__golden__');
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.nft'))) {
      await nsExec(host.name, 'nft', ['-c', '-f', '-'], readFileSync(join(dir, f), 'utf8'));
    }
  });

  it('incremental updates over creates, joins, leaves and deletes list the same as a full render, and still filter', async () => {
    const { host, driver, firewall, network, outside } = await setup();
    if (existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
      await nsExec(host.name, 'sysctl', ['-qw', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0']);
    }
    const paths: string[] = [];
    const update = firewall.update.bind(firewall);
    firewall.update = async (ns, delta) => {
      const path = await update(ns, delta);
      paths.push(path);
      return path;
    };
    const out = await outside();
    const n1 = await network();
    const web = await n1.attach({ portMappings: [{ proto: 'tcp', hostPort: 8080, containerPort: 80 }] });
    const peer = await n1.attach();
    const n2 = await network({ 'com.docker.network.bridge.enable_icc': 'false' });
    const b1 = await n2.attach();
    const b2 = await n2.attach();
    const b3 = await n2.attach();
    const n3 = await network({}, { internal: true });
    const c1 = await n3.attach();
    const c2 = await n3.attach();
    const gone = await network();
    await gone.attach({ portMappings: [{ proto: 'tcp', hostPort: 8081, containerPort: 80 }] });
    await driver.leave(n2.id, b3.endpointId);
    await driver.deleteEndpoint(n2.id, b3.endpointId);
    await driver.deleteNetwork(gone.id);

    expect(paths[0]).toBe('full'); // the table did not exist yet
    expect(paths.slice(1)).toEqual(paths.slice(1).map(() => 'delta'));
    expect(paths.length).toBeGreaterThanOrEqual(9);
    const list = async () => normalizeNftJson(await nsExec(host.name, 'nft', ['-j', 'list', 'table', 'inet', 'netd']));
    const incremental = await list();
    const ids = (await ipJson<IpLink[]>(host.name, ['link', 'show'])).length; // nothing removed below
    await driver.reconcile({ networkIds: [n1.id, n2.id, n3.id], endpointIds: [web, peer, b1, b2, c1, c2].map((x) => x.endpointId) });
    expect((await ipJson<IpLink[]>(host.name, ['link', 'show'])).length).toBe(ids);
    expect(await list()).toEqual(incremental);
    const text = await nsExec(host.name, 'nft', ['list', 'table', 'inet', 'netd']);
    expect(text).not.toContain(gone.bridge);
    expect(text).not.toContain('8081');

    expect(await pings(web.ns.name, b1.ip)).toBe(false); // isolation
    expect(await pings(peer.ns.name, web.ip)).toBe(true);
    expect(await pings(b1.ns.name, b2.ip)).toBe(false); // icc=false
    expect(await pings(b1.ns.name, n2.gateway)).toBe(true);
    expect(await pings(c1.ns.name, c2.ip)).toBe(true); // internal
    expect(await pings(c1.ns.name, out.ip)).toBe(false);
    expect(await pings(peer.ns.name, out.ip)).toBe(true); // masquerade: the outside has no route back to 10/8
    await webServer(web.ns);
    expect(await fetchIn(out.ns.name, `http://${out.hostIp}:8080/hello`)).toBe('hello from the container\n');
    expect(await fetchIn(peer.ns.name, `http://${out.hostIp}:8080/hello`)).toBe('hello from the container\n');
  });

  it('after many creates and deletes the table holds exactly the networks left; a new driver restores them in one pass', async () => {
    const { host, driver } = await setup();
    const reqs: CreateNetworkRequest<BridgeOptions>[] = [];
    const octet = 100 + rand(100);
    for (let i = 0; i < 48; i++) {
      const subnet = Prefix.parse(`10.${octet}.${i}.0/24`);
      const v6 = Prefix.parse(`fd00:${octet}:${i}::/64`);
      const withV6 = i % 6 === 1;
      const raw: Record<string, string> = {};
      if (i % 4 === 0) raw['com.docker.network.bridge.enable_icc'] = 'false';
      if (i % 7 === 0) raw['com.docker.network.bridge.enable_ip_masquerade'] = 'false';
      const req = {
        networkId: generateId(),
        name: `s${i}`,
        options: driver.parseOptions(raw),
        internal: i % 5 === 0,
        enableIpv6: withV6,
        ipv4: [{ subnet, gateway: subnet.nth(1n) }],
        ipv6: withV6 ? [{ subnet: v6, gateway: v6.nth(1n) }] : [],
      };
      await driver.createNetwork(req);
      reqs.push(req);
      if (i % 4 === 0 && i % 8 === 0) {
        // icc=false with a port: a chain of its own, which must go with the network
        const ns = await netns();
        const endpointId = generateId();
        await driver.createEndpoint({ networkId: req.networkId, endpointId, addresses: [Prefix.of(subnet.nth(2n), 24)] });
        await driver.join({ networkId: req.networkId, endpointId, sandbox: ns.ref, ifname: 'eth0', defaultRoute: true });
      }
    }
    // Every IPv6 network goes (so the 6_64 sets must go too), and every third other one.
    const gone = reqs.filter((r, i) => r.enableIpv6 || i % 3 === 0);
    for (const r of gone) await driver.deleteNetwork(r.networkId);
    const left = reqs.filter((r) => !gone.includes(r));
    const list = async () => normalizeNftJson(await nsExec(host.name, 'nft', ['-j', 'list', 'table', 'inet', 'netd']));
    const text = await nsExec(host.name, 'nft', ['list', 'table', 'inet', 'netd']);
    for (const r of gone) expect(text).not.toContain(`br-${r.networkId.slice(0, 12)}`);
    expect(text).not.toMatch(/set (masq|net)6_64/);
    expect(text.match(/chain icc-/g)).toHaveLength(left.filter((r) => reqs.indexOf(r) % 8 === 0).length);
    // The deltas left exactly what a full render of the remaining networks holds.
    const incremental = await list();
    const ports = new Map((await ipJson<{ ifname: string; master?: string }[]>(host.name, ['link', 'show'])).filter((l) => l.master).map((l) => [l.master!, l.ifname]));
    const wantTable = renderTable(
      left.map((r) => {
        const bridge = `br-${r.networkId.slice(0, 12)}`;
        return networkFragment({
          bridge,
          internal: r.internal,
          icc: r.options.enableIcc,
          masquerade: r.options.enableIpMasquerade,
          subnets: r.ipv4.map((s) => s.subnet),
          gateways: r.ipv4.map((s) => s.gateway!),
          ports: ports.has(bridge) ? [ports.get(bridge)!] : [],
          published: [],
        });
      }),
      'netd_want',
    );
    await new NftFirewall().apply(host.ref, wantTable);
    const expected = normalizeNftJson((await nsExec(host.name, 'nft', ['-j', 'list', 'table', 'inet', 'netd_want'])).replaceAll('"netd_want"', '"netd"'));
    await nsExec(host.name, 'nft', ['delete', 'table', 'inet', 'netd_want']);
    expect(incremental).toEqual(expected);

    // A restart: a new driver learns the networks in one pass. Meanwhile the kernel lost two
    // bridges and a gateway address, and the table was flushed away.
    const [lost1, lost2, bare] = left.map((r) => `br-${r.networkId.slice(0, 12)}`).filter((b) => !ports.has(b));
    await run('ip', ['-n', host.name, 'link', 'del', lost1]);
    await run('ip', ['-n', host.name, 'link', 'del', lost2]);
    await run('ip', ['-n', host.name, 'addr', 'flush', 'dev', bare]);
    await nsExec(host.name, 'nft', ['delete', 'table', 'inet', 'netd']);
    const netlink = new RtNetlink();
    sockets.push(netlink);
    let perLinkAddressLists = 0;
    const listAddresses = netlink.listAddresses.bind(netlink);
    netlink.listAddresses = (ns, link) => (perLinkAddressLists++, listAddresses(ns, link));
    const fw = new NftFirewall();
    let fullApplies = 0;
    const apply = fw.apply.bind(fw);
    fw.apply = (ns, t) => (fullApplies++, apply(ns, t));
    const again = new BridgeDriver({ netlink, firewall: fw, sysctl: new ProcSysctl(), hostNs: host.ref });
    await again.restoreNetworks(left);
    expect(perLinkAddressLists).toBe(0);
    expect(fullApplies).toBe(1);
    const links = await ipJson<{ ifname: string; flags: string[] }[]>(host.name, ['link', 'show']);
    for (const r of left) {
      const bridge = `br-${r.networkId.slice(0, 12)}`;
      expect(links.find((l) => l.ifname === bridge)?.flags).toContain('UP');
      const addrs = await ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(host.name, ['addr', 'show', 'dev', bridge]);
      expect(addrs[0].addr_info.map((a) => `${a.local}/${a.prefixlen}`)).toContain(`${r.ipv4[0].gateway}/24`);
    }
    // Its table, before the endpoints come back, is the render without the ports' chains.
    const withoutPorts = normalizeNftJson(await nsExec(host.name, 'nft', ['-j', 'list', 'table', 'inet', 'netd'])) as unknown[];
    expect(withoutPorts).toEqual((expected as unknown[]).filter((x) => !JSON.stringify(x).includes('"icc-')));
  });
});
