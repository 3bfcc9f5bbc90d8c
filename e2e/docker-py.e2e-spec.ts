// docker-py 5 (Debian's python3-docker, run by /usr/bin/python3) against netd: networks (static
// addresses, MACs, aliases, links — also to a container that comes later and by id), containers
// (kill, wait and exit codes, exec codes, a user checked at start), volumes, and an old client
// pinned to API 1.41 — compared field by field with Docker's answers (docker-reference.md).
// One probe script (e2e/support/docker_py_probe.py) runs every step and reports what it saw.
import { describeAsRoot } from '@app/kernel/testing';
import { join } from 'node:path';
import { requireClient, SYSTEM_PYTHON } from './support/compose';
import { exec } from './support/exec';
import { api } from '../apps/netd/src/testing/netd-process';
import { type DockerNetd, startDockerNetd } from './support/docker-netd';

/** The network fields dockerd 28 answers at API 1.47 (docker-reference.md, NetworkInspect). */
const NETWORK_KEYS = ['Name', 'Id', 'Created', 'Scope', 'Driver', 'EnableIPv4', 'EnableIPv6', 'IPAM', 'Internal', 'Attachable', 'Ingress', 'ConfigFrom', 'ConfigOnly', 'Options', 'Labels', 'Containers'];
/** EndpointSettings in container inspect (docker-reference.md). */
const ENDPOINT_KEYS = ['IPAMConfig', 'Links', 'Aliases', 'MacAddress', 'DriverOpts', 'NetworkID', 'EndpointID', 'Gateway', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'DNSNames'];

describeAsRoot('docker-py 5 against netd, compared with Docker\'s answers', () => {
  let t: DockerNetd;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the probe's JSON report
  let r: Record<string, any>;

  beforeAll(async () => {
    requireClient(SYSTEM_PYTHON, 'python3-docker');
    t = await startDockerNetd({ bridge: 'netdpy' });
    const run = await exec(SYSTEM_PYTHON, [join(__dirname, 'support/docker_py_probe.py'), t.netd.socket], { timeoutMs: 120_000 });
    if (run.code !== 0) throw new Error(`docker-py probe failed (${run.code}):\n${run.stderr}${run.stdout}`);
    r = JSON.parse(run.stdout);
  });

  afterAll(async () => {
    await t?.dispose();
  });

  it('is docker-py 5, negotiating netd\'s API version', () => {
    expect(r.version).toMatch(/^5\./);
    expect(r.api_version).toBe('1.47');
  });

  it('network create and inspect answer Docker\'s fields, IPAM.Options null when none were given', () => {
    expect(r.net_create).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(r.net_inspect)).toEqual(expect.arrayContaining(NETWORK_KEYS));
    expect(r.net_inspect).toMatchObject({
      Name: 'pynet', Id: r.net_create, Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: false, Internal: false, Attachable: false,
      Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Options: {}, Labels: { team: 'py' }, Containers: {},
      IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.233.0.0/24', Gateway: '10.233.0.1' }] },
    });
    expect(r.net_inspect.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(r.net_names).toEqual(['py net', '_pynet']);
    expect(r.net_ipv6).toEqual({ Driver: 'default', Options: null, Config: [{ Subnet: '10.234.0.0/24', Gateway: '10.234.0.1' }, { Subnet: 'fd00:234::/64', Gateway: 'fd00:234::1' }] });
  });

  it('a container gets the static address, MAC, aliases and links asked at create', () => {
    expect(r.client_create).toMatch(/^[0-9a-f]{64}$/);
    expect(r.client_start).toBeNull();
    const ep = r.client_inspect.NetworkSettings.Networks.pynet;
    expect(Object.keys(ep)).toEqual(ENDPOINT_KEYS);
    expect(ep).toMatchObject({
      IPAMConfig: { IPv4Address: '10.233.0.50' }, Links: ['later:future', 'up:upstream'], Aliases: ['cli', '-dash'], MacAddress: '02:42:0a:e9:00:63',
      DriverOpts: null, IPAddress: '10.233.0.50', IPPrefixLen: 24, Gateway: '10.233.0.1', DNSNames: ['client', 'cli', '-dash', r.client_create.slice(0, 12)],
    });
    expect(r.client_mac).toBe('02:42:0a:e9:00:63');
    expect(r.client_inspect.Config.MacAddress).toBe('02:42:0a:e9:00:63');
    expect(r.client_inspect.NetworkSettings).toMatchObject({ MacAddress: '02:42:0a:e9:00:63', IPAddress: '10.233.0.50' });
  });

  it('inspect has the fields compose and dockerpty read, in Docker\'s shapes', () => {
    expect(r.client_inspect.HostConfig).toMatchObject({
      LogConfig: { Type: 'json-file', Config: {} }, IpcMode: 'private', PidMode: '', SecurityOpt: null, Privileged: false, Isolation: '', Runtime: 'runc',
      Dns: null, DnsSearch: null, DnsOptions: null, NetworkMode: 'pynet', Links: null,
    });
    expect(r.client_inspect.Config).toMatchObject({ AttachStdin: false, AttachStdout: true, AttachStderr: true });
    expect(r.client_inspect.Config).not.toHaveProperty('Healthcheck');
  });

  it('links resolve for the linking container only, and one to a container that did not exist yet resolves once it does', () => {
    expect(r.resolve_before).not.toBe(0);
    expect(r.resolve).toEqual({ upstream: { code: 0, answered: true }, future: { code: 0, answered: true }, up: { code: 0, answered: true }, later: { code: 0, answered: true } });
    expect(r.resolve_from_up).not.toBe(0);
  });

  it('connect with a link given by container id shows it as name:alias', () => {
    expect(r.connect_links).toMatchObject({ Links: ['up:byid'], Aliases: ['six'], IPAMConfig: null, GlobalIPv6Address: 'fd00:234::2', GlobalIPv6PrefixLen: 64 });
    const members = Object.values(r.net_inspect_with.Containers as Record<string, { Name: string; IPv4Address: string; MacAddress: string }>);
    expect(members.map((m) => m.Name).sort()).toEqual(['client', 'later', 'up']);
    expect(members.find((m) => m.Name === 'client')).toEqual(expect.objectContaining({ IPv4Address: '10.233.0.50/24', MacAddress: '02:42:0a:e9:00:63', IPv6Address: '' }));
  });

  it('kill leaves the container exited 137 by the time wait answers; exit and exec codes are Docker\'s', () => {
    const [wait, , state] = r.kill;
    expect(wait).toEqual({ StatusCode: 137, Error: null });
    expect(state).toMatchObject({ Status: 'exited', Running: false, ExitCode: 137, Pid: 0 });
    expect(r.exit3).toEqual({ StatusCode: 3, Error: null });
    // true, false, exit 7, a missing program (127), a file that cannot be run (126)
    expect(r.exec_codes).toEqual([0, 1, 7, 127, 126]);
  });

  it('an unknown user is accepted at create and refused at start, as dockerd does', () => {
    expect(r.user_at_start).toEqual({ error: 'APIError: unable to find user ghost: no matching entries in passwd file' });
  });

  it('volumes answer in Docker\'s shapes', () => {
    expect(Object.keys(r.vol_create)).toEqual(['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
    expect(r.vol_create).toMatchObject({ Driver: 'local', Labels: { a: 'b' }, Name: 'pyvol', Options: null, Scope: 'local', Mountpoint: join(t.netd.dataRoot, 'volumes/pyvol/_data') });
    expect(r.vol_list).toEqual(['pyvol']);
    expect(r.vol_missing).toEqual({ error: 'NotFound: get nope: no such volume' });
    expect(r.vol_remove).toBeNull();
    expect(r.vol_after).toEqual([]);
  });

  it('an old client pinned to API 1.41 gets that version\'s answers, and one below 1.24 Docker\'s refusal', () => {
    expect(r.old_network).not.toHaveProperty('EnableIPv4');
    expect(r.old_network).toMatchObject({ Name: 'pynet', EnableIPv6: false });
    expect(r.old_version).toMatchObject({ ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux' });
    // before 1.44 dockerd creates a second network of a taken name unless CheckDuplicate is set
    expect(r.old_dup).toEqual({ Id: expect.stringMatching(/^[0-9a-f]{64}$/), Warning: `Network with name pynet (id : ${r.net_create}) already exists` });
    expect(r.too_old).toEqual({ error: 'APIError: client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version' });
  });

  it('starts again with what the clients made: a network named "py net", two of one name, a link to a name', async () => {
    await t.netd.stop();
    await t.restart();
    expect((await api(t.netd.socket, 'GET', `/networks/${encodeURIComponent('py net')}`)).body.Name).toBe('py net');
    expect((await api(t.netd.socket, 'GET', '/networks/pynet')).status).toBe(400);
    const client = (await api(t.netd.socket, 'GET', '/containers/client/json')).body;
    expect(client.NetworkSettings.Networks.pynet.Links).toEqual(['later:future', 'up:upstream']);
  });
});
