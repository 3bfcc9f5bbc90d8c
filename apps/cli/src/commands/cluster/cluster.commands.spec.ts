import { DaemonError } from '../../client/errors';
import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';
import { type ClusterApi, type ClusterInitRequest, type ClusterJoinRequest, type ClusterStatus, clusterOverHttp } from './cluster-api';

const SELF = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

/** The daemon's cluster endpoints in memory, with its refusals (409 member / not member). */
class FakeClusterClient extends FakeNetdClient implements ClusterApi {
  readonly calls: unknown[] = [];
  state: ClusterStatus = { Member: false, NodeID: '', Name: '', AdvertiseAddr: '', ListenPort: 0, Token: '', Nodes: [] };

  async clusterStatus(): Promise<ClusterStatus> {
    return this.state;
  }

  async clusterInit(req: ClusterInitRequest) {
    this.enter(req);
    return { Token: this.state.Token, NodeID: SELF };
  }

  async clusterJoin(req: ClusterJoinRequest) {
    if (!req.Token.startsWith('NETD-')) throw new DaemonError(400, 'invalid join token');
    this.enter(req);
    return { NodeID: SELF };
  }

  async clusterLeave() {
    this.calls.push('leave');
    if (!this.state.Member) throw new DaemonError(409, 'this node is not part of a cluster');
    this.state = { ...this.state, Member: false, Nodes: [] };
  }

  async clusterRotateKey() {
    this.calls.push('rotate-key');
    if (!this.state.Member) throw new DaemonError(409, 'this node is not part of a cluster');
    const epoch = (this.state.ClusterKeyEpoch ?? 0) + 1;
    this.state = { ...this.state, Token: `NETD-TOKEN-${epoch + 1}`, ClusterKeyFingerprint: 'SHA256:dddddddddddddddd', ClusterKeyEpoch: epoch };
    return { Token: this.state.Token, ClusterKeyFingerprint: 'SHA256:dddddddddddddddd', ClusterKeyEpoch: epoch };
  }

  async clusterRemoveNode(node: string) {
    this.calls.push(['rm', node]);
    const n = this.state.Nodes.find((x) => x.ID === node || x.Name === node);
    if (!n) throw new DaemonError(404, `node ${node} not found`);
    this.state = { ...this.state, Nodes: this.state.Nodes.filter((x) => x !== n), Revoked: [{ ID: n.ID, Fingerprint: 'SHA256:0123456789abcdef' }] };
    return { ID: n.ID };
  }

  private enter(req: ClusterInitRequest) {
    this.calls.push(req);
    if (this.state.Member) throw new DaemonError(409, 'this node is already part of a cluster');
    this.state = {
      Member: true,
      NodeID: SELF,
      Name: req.Name ?? 'h1',
      AdvertiseAddr: req.AdvertiseAddr,
      ListenPort: req.ListenPort ?? 7946,
      Token: 'NETD-TOKEN-1',
      Fingerprint: 'SHA256:aaaaaaaaaaaaaaaa',
      ClusterKeyFingerprint: 'SHA256:cccccccccccccccc',
      ClusterKeyEpoch: 0,
      RefusedRecords: 2,
      Nodes: [
        { ID: OTHER, Name: 'h2', Addr: '192.0.2.2:7946', State: 'down', Role: 'joining', Self: false, LastSeen: '2026-01-02T03:04:05.000Z', RttMs: 0.412, Blocks: ['web/10.0.9.8/29', 'web/10.0.9.16/29'], Fingerprint: 'SHA256:bbbbbbbbbbbbbbbb' },
        { ID: SELF, Name: req.Name ?? 'h1', Addr: `${req.AdvertiseAddr}:7946`, State: 'ready', Role: 'voter', Self: true, LastSeen: '2026-01-02T03:04:06.000Z', RttMs: null, Blocks: [], Fingerprint: 'SHA256:aaaaaaaaaaaaaaaa' },
      ],
    };
  }
}

describe('cluster commands', () => {
  describe('cluster init', () => {
    it('sends the advertise address, port and name, and prints the join command with the token', async () => {
      const client = new FakeClusterClient();
      const r = await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1', '--listen-port', '7000', '--name', 'h1'], client);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(client.calls).toEqual([{ AdvertiseAddr: '192.0.2.1', ListenPort: 7000, Name: 'h1' }]);
      expect(r.stdout).toContain('Cluster initialized: current node (aaaaaaaaaaaa) is now a member.');
      expect(r.stdout).toContain('    netctl cluster join --advertise-addr <its address> NETD-TOKEN-1\n');
    });

    it.each([
      { name: 'no advertise address', args: [], message: '--advertise-addr is required: the address other nodes reach this one at\n' },
      { name: 'a bad port', args: ['--advertise-addr', '192.0.2.1', '--listen-port', '70000'], message: 'invalid argument "70000" for "--listen-port" flag: must be a port between 1 and 65535\n' },
    ])('refuses $name before calling the daemon', async ({ args, message }) => {
      const client = new FakeClusterClient();
      const r = await runNetctl(['cluster', 'init', ...args], client);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(message);
      expect(client.calls).toEqual([]);
    });

    it("reports the daemon's refusal when already a member", async () => {
      const client = new FakeClusterClient();
      await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      const r = await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      expect(r).toMatchObject({ code: 1, stdout: '', stderr: 'Error response from daemon: this node is already part of a cluster\n' });
    });
  });

  describe('cluster join', () => {
    it('passes the token and every --bootstrap', async () => {
      const client = new FakeClusterClient();
      const r = await runNetctl(['cluster', 'join', '--advertise-addr', '192.0.2.2', '--bootstrap', '192.0.2.254:5000', '--bootstrap', '192.0.2.1:7946', 'NETD-X'], client);
      expect(r).toMatchObject({ code: 0, stdout: 'This node (aaaaaaaaaaaa) joined the cluster.\n' });
      expect(client.calls).toEqual([{ AdvertiseAddr: '192.0.2.2', Token: 'NETD-X', Bootstrap: ['192.0.2.254:5000', '192.0.2.1:7946'] }]);
    });

    it('needs a token', async () => {
      const r = await runNetctl(['cluster', 'join', '--advertise-addr', '192.0.2.2'], new FakeClusterClient());
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/missing required argument 'token'/);
    });

    it('prints a bad token as the daemon words it', async () => {
      const r = await runNetctl(['cluster', 'join', '--advertise-addr', '192.0.2.2', 'garbage'], new FakeClusterClient());
      expect(r).toMatchObject({ code: 1, stderr: 'Error response from daemon: invalid join token\n' });
    });
  });

  describe('cluster ls', () => {
    it('lists this node first, marked, then the others with state, blocks held, last seen and RTT', async () => {
      const client = new FakeClusterClient();
      await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      const r = await runNetctl(['cluster', 'ls'], client);
      expect(r.code).toBe(0);
      const lines = r.stdout.trimEnd().split('\n').map((l) => l.trimEnd().split(/\s{3,}/));
      expect(lines).toEqual([
        ['ID', 'NAME', 'ADDRESS', 'STATE', 'ROLE', 'BLOCKS', 'LAST SEEN', 'RTT'],
        ['aaaaaaaaaaaa *', 'h1', '192.0.2.1:7946', 'ready', 'voter', '-', '2026-01-02T03:04:06.000Z', '-'],
        ['bbbbbbbbbbbb', 'h2', '192.0.2.2:7946', 'down', 'joining', 'web/10.0.9.8/29,web/10.0.9.16/29', '2026-01-02T03:04:05.000Z', '0.41ms'],
      ]);
    });

    it('prints full ids with -q --no-trunc, and JSON lines with --format json', async () => {
      const client = new FakeClusterClient();
      await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      expect((await runNetctl(['cluster', 'ls', '-q', '--no-trunc'], client)).stdout).toBe(`${SELF}\n${OTHER}\n`);
      const json = (await runNetctl(['cluster', 'ls', '--format', 'json'], client)).stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(json[1]).toEqual({ ID: 'bbbbbbbbbbbb', Name: 'h2', Address: '192.0.2.2:7946', State: 'down', Role: 'joining', Blocks: 'web/10.0.9.8/29,web/10.0.9.16/29', LastSeen: '2026-01-02T03:04:05.000Z', RTT: '0.41ms', Self: 'false' });
    });

    it('says how to join when the node is in no cluster', async () => {
      const r = await runNetctl(['cluster', 'ls'], new FakeClusterClient());
      expect(r).toMatchObject({ code: 1, stderr: 'Error: this node is not part of a cluster: run `netctl cluster init` or `netctl cluster join` first\n' });
    });
  });

  describe('cluster rm', () => {
    it('removes a node by name and prints its id; an unknown node is the daemon error', async () => {
      const client = new FakeClusterClient();
      await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      expect(await runNetctl(['cluster', 'rm', 'h2'], client)).toMatchObject({ code: 0, stdout: `${OTHER}\n` });
      expect(client.calls).toContainEqual(['rm', 'h2']);
      expect(await runNetctl(['cluster', 'rm', 'h2'], client)).toMatchObject({ code: 1, stderr: 'Error response from daemon: node h2 not found\n' });
    });

    it('needs a node', async () => {
      const r = await runNetctl(['cluster', 'rm'], new FakeClusterClient());
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/missing required argument 'node'/);
    });
  });

  describe('cluster inspect', () => {
    it('shows the membership with every key fingerprint, the revoked nodes, and no token', async () => {
      const client = new FakeClusterClient();
      await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      await runNetctl(['cluster', 'rm', 'h2'], client);
      const r = await runNetctl(['cluster', 'inspect'], client);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain('NETD-TOKEN-1');
      expect(JSON.parse(r.stdout)).toEqual({
        NodeID: SELF,
        Name: 'h1',
        Fingerprint: 'SHA256:aaaaaaaaaaaaaaaa',
        ClusterKeyFingerprint: 'SHA256:cccccccccccccccc',
        ClusterKeyEpoch: 0,
        AdvertiseAddr: '192.0.2.1',
        ListenPort: 7946,
        RefusedRecords: 2,
        Members: [{ ID: SELF, Name: 'h1', Fingerprint: 'SHA256:aaaaaaaaaaaaaaaa', Addr: '192.0.2.1:7946', State: 'ready', Self: true }],
        Revoked: [{ ID: OTHER, Fingerprint: 'SHA256:0123456789abcdef' }],
      });
      expect((await runNetctl(['cluster', 'inspect', '--format', '{{.Fingerprint}}'], client)).stdout).toBe('SHA256:aaaaaaaaaaaaaaaa\n');
    });
  });

  describe('cluster rotate-key', () => {
    it('prints the new fingerprint, epoch and join command; inspect then shows them', async () => {
      const client = new FakeClusterClient();
      await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      const r = await runNetctl(['cluster', 'rotate-key'], client);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toContain('Cluster key rotated: epoch 1, fingerprint SHA256:dddddddddddddddd.\n');
      expect(r.stdout).toContain('    netctl cluster join --advertise-addr <its address> NETD-TOKEN-2\n');
      expect((await runNetctl(['cluster', 'inspect', '--format', '{{.ClusterKeyEpoch}} {{.ClusterKeyFingerprint}}'], client)).stdout).toBe('1 SHA256:dddddddddddddddd\n');
    });

    it("reports the daemon's refusal outside a cluster, and takes no argument", async () => {
      expect(await runNetctl(['cluster', 'rotate-key'], new FakeClusterClient())).toMatchObject({ code: 1, stdout: '', stderr: 'Error response from daemon: this node is not part of a cluster\n' });
      const extra = await runNetctl(['cluster', 'rotate-key', 'now'], new FakeClusterClient());
      expect(extra.code).not.toBe(0);
    });
  });

  describe('cluster leave', () => {
    it('leaves, and a second leave reports the refusal', async () => {
      const client = new FakeClusterClient();
      await runNetctl(['cluster', 'init', '--advertise-addr', '192.0.2.1'], client);
      expect(await runNetctl(['cluster', 'leave'], client)).toMatchObject({ code: 0, stdout: 'Node left the cluster.\n' });
      expect(client.state.Member).toBe(false);
      expect(await runNetctl(['cluster', 'leave'], client)).toMatchObject({ code: 1, stderr: 'Error response from daemon: this node is not part of a cluster\n' });
    });
  });

  it('explains that a client without the cluster API cannot manage clusters', async () => {
    const r = await runNetctl(['cluster', 'ls'], new FakeNetdClient());
    expect(r).toMatchObject({ code: 1, stderr: 'Error: this netctl cannot manage clusters: its client has no cluster API\n' });
  });

  describe(clusterOverHttp.name, () => {
    it('maps each verb to its /netd/cluster route', async () => {
      const sent: unknown[] = [];
      const api = clusterOverHttp(async <T>(method: string, path: string, body?: unknown) => {
        sent.push([method, path, body]);
        return {} as T;
      });
      await api.clusterStatus();
      await api.clusterInit({ AdvertiseAddr: '192.0.2.1' });
      await api.clusterJoin({ AdvertiseAddr: '192.0.2.2', Token: 't' });
      await api.clusterLeave();
      await api.clusterRemoveNode('h/3');
      await api.clusterRotateKey();
      expect(sent).toEqual([
        ['GET', '/netd/cluster', undefined],
        ['POST', '/netd/cluster/init', { AdvertiseAddr: '192.0.2.1' }],
        ['POST', '/netd/cluster/join', { AdvertiseAddr: '192.0.2.2', Token: 't' }],
        ['POST', '/netd/cluster/leave', undefined],
        ['DELETE', '/netd/cluster/nodes/h%2F3', undefined],
        ['POST', '/netd/cluster/rotate-key', undefined],
      ]);
    });
  });
});
