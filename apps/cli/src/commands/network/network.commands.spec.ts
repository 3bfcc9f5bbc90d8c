import { ConnectionError, DaemonError } from '../../client/errors';
import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';

const ID = {
  al: 'eb683b4268ae5de7d389eedd1214c16ec163e6b3a5f333d90b4fd3aca7dda691',
  int: '49e7b5914a7b5b17cd01f0032bf2fafea4bf54e831d7037b9ef347447d77c037',
  bridge: '700b0f24b534864d16e6dc3d34f867eff019756a422ce57ed3f4811e346cdcbe',
  host: 'fa1f413c8e394265424fe71fca0cb5890050a23b689552b70a8d538a4e8df4e4',
  none: '6cec19edf145dcd4cdbe6acda4111184d440ede16a34165be58f09bd46532756',
};

/** The networks of the docker-reference sample, added out of order. */
function sampleDaemon(): FakeNetdClient {
  const fake = new FakeNetdClient({ predefined: false });
  fake.add({ Name: 'none', Id: ID.none, Driver: 'null' });
  fake.add({ Name: 'anc-e-int-docker', Id: ID.int });
  fake.add({ Name: 'bridge', Id: ID.bridge, Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] });
  fake.add({ Name: 'anc-e-al-docker', Id: ID.al, Labels: { b: '2', a: '<1>' } });
  fake.add({ Name: 'host', Id: ID.host, Driver: 'host' });
  return fake;
}

describe('network ls', () => {
  it("prints docker's table sorted by name with 12-char ids", async () => {
    const r = await runNetctl(['network', 'ls'], sampleDaemon());
    expect(r).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'NETWORK ID     NAME               DRIVER    SCOPE',
        'eb683b4268ae   anc-e-al-docker    bridge    local',
        '49e7b5914a7b   anc-e-int-docker   bridge    local',
        '700b0f24b534   bridge             bridge    local',
        'fa1f413c8e39   host               host      local',
        '6cec19edf145   none               null      local',
        '',
      ].join('\n'),
    });
  });

  it('prints full ids with --no-trunc and only ids with -q', async () => {
    const full = await runNetctl(['network', 'ls', '--no-trunc'], sampleDaemon());
    expect(full.stdout.split('\n')[1]).toBe(`${ID.al}   anc-e-al-docker    bridge    local`);
    const quiet = await runNetctl(['network', 'ls', '-q'], sampleDaemon());
    expect(quiet.stdout).toBe([ID.al, ID.int, ID.bridge, ID.host, ID.none].map((id) => id.slice(0, 12) + '\n').join(''));
  });

  it('sorts names naturally (net2 before net10), as docker does', async () => {
    const fake = new FakeNetdClient({ predefined: false });
    for (const n of ['net10', 'net2', 'Net1', 'net02']) fake.add({ Name: n });
    const r = await runNetctl(['network', 'ls', '--format', '{{.Name}}'], fake);
    expect(r.stdout).toBe('Net1\nnet2\nnet02\nnet10\n');
  });

  it('prints one JSON object per network with --format json, HTML-escaped and sorted labels', async () => {
    const r = await runNetctl(['network', 'ls', '--format', 'json', '-f', 'name=anc-e-al'], sampleDaemon());
    expect(r.stdout).toBe(
      '{"CreatedAt":"2026-01-02 03:04:05.123456789 +0000 UTC","Driver":"bridge","ID":"eb683b4268ae","IPv4":"true","IPv6":"false","Internal":"false","Labels":"a=\\u003c1\\u003e,b=2","Name":"anc-e-al-docker","Scope":"local"}\n',
    );
  });

  it('renders a table template with headers and a label lookup', async () => {
    const r = await runNetctl(['network', 'ls', '--format', 'table {{.Name}}\\t{{.Label "b"}}\\t{{.Internal}}', '--filter', 'label=b'], sampleDaemon());
    expect(r.stdout).toBe('NAME              b         INTERNAL\nanc-e-al-docker   2         false\n');
  });

  it('sends filters in docker\'s wire form', async () => {
    const fake = sampleDaemon();
    await runNetctl(['network', 'ls', '-f', 'driver=bridge', '-f', 'name=a', '-f', 'name=b'], fake);
    expect(fake.requests).toEqual([{ method: 'list', filters: { driver: ['bridge'], name: ['a', 'b'] } }]);
  });

  it('rejects a filter without "=" as a flag error (125) without calling the daemon', async () => {
    const fake = sampleDaemon();
    const r = await runNetctl(['network', 'ls', '-f', 'bogus'], fake);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe('invalid argument "bogus" for "-f, --filter" flag: bad format of filter (expected name=value)\nSee \'netctl network ls --help\'.\n');
    expect(fake.requests).toEqual([]);
  });

  it('reports a bad template', async () => {
    const r = await runNetctl(['network', 'ls', '--format', '{{.Name'], sampleDaemon());
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'template parsing error: template: :1: unclosed action\n' });
  });
});

describe('network inspect', () => {
  it('prints the list with 4-space indentation, keeping the daemon\'s escapes', async () => {
    const fake = new FakeNetdClient({ predefined: false });
    const net = fake.add({ Name: 'n1', Id: ID.al, Labels: { x: 'a<b' } });
    fake.inspectNetworkWithRaw = async () => ({ network: net, raw: '{"Name":"n1","Labels":{"x":"a\\u003cb"},"Options":{},"Config":[]}\n' });
    const r = await runNetctl(['network', 'inspect', 'n1'], fake);
    expect(r.stdout).toBe('[\n    {\n        "Name": "n1",\n        "Labels": {\n            "x": "a\\u003cb"\n        },\n        "Options": {},\n        "Config": []\n    }\n]\n');
  });

  it('applies -f to each network and passes -v as verbose', async () => {
    const fake = sampleDaemon();
    const r = await runNetctl(['network', 'inspect', '-v', '-f', '{{.Name}} {{range .IPAM.Config}}{{.Subnet}}{{end}} {{json .Labels}} {{.Labels}}', 'bridge', 'anc-e-al-docker'], fake);
    expect(r.stdout).toBe('bridge 172.17.0.0/16 {} map[]\nanc-e-al-docker  {"b":"2","a":"<1>"} map[a:<1> b:2]\n');
    expect(fake.requests[0]).toEqual({ method: 'inspect', target: 'bridge', body: { verbose: true } });
  });

  it('prints what it found, then the errors, and exits 1', async () => {
    const r = await runNetctl(['network', 'inspect', 'missing', '--format', '{{.Name}}', 'host'], sampleDaemon());
    expect(r).toEqual({ code: 1, stdout: 'host\n', stderr: 'Error response from daemon: network missing not found\n' });
    const none = await runNetctl(['network', 'inspect', 'missing'], sampleDaemon());
    expect(none.stdout).toBe('[]\n');
  });
});

describe('network create', () => {
  it('matches each range and gateway to the subnet containing it, as docker does', async () => {
    const fake = new FakeNetdClient();
    const r = await runNetctl(
      ['network', 'create', '--subnet', '10.9.0.0/24', '--subnet', '10.8.0.0/16', '--ip-range', '10.8.1.0/24', '--gateway', '10.9.0.1', '--aux-address', 'h=10.9.0.5',
        '--label', 'x=1', '--label', 'y', '-o', 'k=v', '--ipam-opt', 'io=1', '--internal', '--attachable', '--ipv6', 'n1'],
      fake,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(fake.requests[0].body).toEqual({
      Name: 'n1',
      Driver: 'bridge',
      Scope: '',
      EnableIPv6: true,
      IPAM: {
        Driver: 'default',
        Options: { io: '1' },
        Config: [
          { Subnet: '10.9.0.0/24', Gateway: '10.9.0.1', AuxiliaryAddresses: { h: '10.9.0.5' } },
          { Subnet: '10.8.0.0/16', IPRange: '10.8.1.0/24' },
        ],
      },
      Internal: true,
      Attachable: true,
      Ingress: false,
      ConfigOnly: false,
      Options: { k: 'v' },
      Labels: { x: '1', y: '' },
    });
  });

  it.each([
    { name: 'gateway outside every subnet', args: ['--subnet', '10.234.0.0/24', '--gateway', '10.235.0.1'], message: 'no matching subnet for gateway 10.235.0.1' },
    { name: 'range outside every subnet', args: ['--subnet', '10.236.0.0/24', '--ip-range', '10.237.0.0/25'], message: 'no matching subnet for range 10.237.0.0/25' },
    { name: 'gateway without subnet', args: ['--gateway', '10.0.0.1'], message: 'every ip-range or gateway must have a corresponding subnet' },
    { name: 'overlapping subnets', args: ['--subnet', '10.9.0.0/24', '--subnet', '10.9.0.0/25'], message: 'multiple overlapping subnet configuration is not supported' },
    { name: 'two gateways in one subnet', args: ['--subnet', '10.9.0.0/24', '--subnet', '10.10.0.0/24', '--gateway', '10.9.0.1', '--gateway', '10.9.0.2'], message: 'cannot configure multiple gateways (10.9.0.2, 10.9.0.1) for the same subnet (10.9.0.0/24)' },
    { name: 'aux address outside', args: ['--subnet', '10.9.0.0/24', '--aux-address', 'a=10.1.1.1'], message: 'no matching subnet for aux-address 10.1.1.1' },
  ])('refuses $name on the client, sending nothing', async ({ args, message }) => {
    const fake = new FakeNetdClient();
    const r = await runNetctl(['network', 'create', ...args, 'n'], fake);
    expect(r).toEqual({ code: 1, stdout: '', stderr: message + '\n' });
    expect(fake.requests).toEqual([]);
  });

  it("prints the daemon's refusal in docker's words", async () => {
    const fake = new FakeNetdClient();
    await runNetctl(['network', 'create', 'dup'], fake);
    const r = await runNetctl(['network', 'create', 'dup'], fake);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: network with name dup already exists\n' });
  });
});

describe('network rm', () => {
  it('removes each network, reports a missing one and still removes the rest', async () => {
    const fake = sampleDaemon();
    const r = await runNetctl(['network', 'rm', 'anc-e-al-docker', 'missing', 'bridge', '49e7b5914a7b'], fake);
    expect(r).toEqual({
      code: 1,
      stdout: 'anc-e-al-docker\n49e7b5914a7b\n',
      stderr: 'Error: No such network: missing\nError response from daemon: bridge is a pre-defined network and cannot be removed\n',
    });
    expect(fake.networks.map((n) => n.Name).sort()).toEqual(['bridge', 'host', 'none']);
  });

  it('ignores missing networks with -f', async () => {
    const r = await runNetctl(['network', 'rm', '-f', 'missing'], sampleDaemon());
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('network prune', () => {
  const warning = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ';

  it('asks first and does nothing unless the answer is y', async () => {
    const fake = sampleDaemon();
    const r = await runNetctl(['network', 'prune'], fake, { stdin: ['n'] });
    expect(r).toEqual({ code: 0, stdout: warning, stderr: '' });
    expect(fake.requests).toEqual([]);
  });

  it('prunes after y and lists the deleted networks', async () => {
    const fake = sampleDaemon();
    const r = await runNetctl(['network', 'prune', '--filter', 'label=b=2'], fake, { stdin: ['Y'] });
    expect(r.stdout).toBe(`${warning}Deleted Networks:\nanc-e-al-docker\n\n`);
    expect(fake.requests).toEqual([{ method: 'prune', filters: { label: ['b=2'] } }]);
  });

  it('does not ask with -f and prints nothing when nothing went', async () => {
    const fake = new FakeNetdClient();
    const r = await runNetctl(['network', 'prune', '-f'], fake);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('network connect / disconnect', () => {
  it('sends the endpoint configuration of the flags', async () => {
    const fake = sampleDaemon();
    const r = await runNetctl(['network', 'connect', '--ip', '10.1.0.5', '--ip6', 'fd00::5', '--alias', 'a', '--alias', 'b', '--link', 'c:d', '--driver-opt', 'k=v', 'bridge', 'ctr'], fake);
    expect(fake.requests[0]).toEqual({
      method: 'connect',
      target: 'bridge',
      body: { Container: 'ctr', EndpointConfig: { IPAMConfig: { IPv4Address: '10.1.0.5', IPv6Address: 'fd00::5' }, Links: ['c:d'], Aliases: ['a', 'b'], DriverOpts: { k: 'v' } } },
    });
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Error response from daemon: No such container: ctr\n' });
  });

  it('sends Force with disconnect -f', async () => {
    const fake = sampleDaemon();
    fake.networks[2].Containers['c'.repeat(64)] = { Name: 'web', EndpointID: 'e', MacAddress: '', IPv4Address: '', IPv6Address: '' };
    const r = await runNetctl(['network', 'disconnect', '-f', 'bridge', 'web'], fake);
    expect(r.code).toBe(0);
    expect(fake.requests[0]).toEqual({ method: 'disconnect', target: 'bridge', body: { Container: 'web', Force: true } });
    expect(fake.networks[2].Containers).toEqual({});
  });

  it('needs both arguments', async () => {
    const r = await runNetctl(['network', 'connect', 'bridge'], sampleDaemon());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("missing required argument 'container'");
  });
});

describe('errors and global flags', () => {
  it('prints an unreachable daemon as docker does', async () => {
    const failing = new FakeNetdClient();
    failing.listNetworks = async () => {
      throw new ConnectionError('unix:///nonexistent/netd.sock');
    };
    const r = await runNetctl(['network', 'ls'], failing);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'Cannot connect to the netd daemon at unix:///nonexistent/netd.sock. Is the daemon running?\n' });
  });

  it('exits 125 on an unknown flag', async () => {
    const r = await runNetctl(['network', 'ls', '--bogus'], new FakeNetdClient());
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('shows examples in every command\'s help', async () => {
    for (const verb of ['create', 'ls', 'inspect', 'rm', 'prune', 'connect', 'disconnect']) {
      const r = await runNetctl(['network', verb, '--help'], new FakeNetdClient());
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: netctl network ${verb}`);
      expect(r.stdout).toContain(`Examples:\n  $ netctl network ${verb}`);
    }
  });

  it('prints a stack only with --debug', async () => {
    const fake = new FakeNetdClient();
    fake.listNetworks = async () => {
      throw new Error('boom');
    };
    expect((await runNetctl(['network', 'ls'], fake)).stderr).toBe('Error: boom\n');
    const debug = await runNetctl(['--debug', 'network', 'ls'], fake);
    expect(debug.stderr).toMatch(/^Error: boom\nError: boom\n\s+at /);
  });

  it('keeps DaemonError kinds from the HTTP status', () => {
    expect(new DaemonError(409, 'x').kind).toBe('conflict');
    expect(new DaemonError(418, 'x').kind).toBe('invalid-parameter');
  });
});
