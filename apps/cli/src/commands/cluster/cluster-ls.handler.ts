import type { Handler } from '../../command';
import { formatList } from '../../output/formatter';
import { goJson } from '../../output/go-json';
import { naturalCompare } from '../../output/natural-sort';
import { clusterApi, type ClusterNode } from './cluster-api';
import type { ClusterLsOptions } from './cluster.commands';

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Address}}\t{{.State}}\t{{.Role}}\t{{.Blocks}}\t{{.LastSeen}}\t{{.RTT}}';
const HEADER = { ID: 'ID', Name: 'NAME', Address: 'ADDRESS', State: 'STATE', Role: 'ROLE', Blocks: 'BLOCKS', LastSeen: 'LAST SEEN', RTT: 'RTT', Self: 'SELF' };

/** Nodes, this one first (marked `*` as `docker node ls` does), then by name. */
export const clusterLsHandler: Handler<ClusterLsOptions> = async ({ opts }, { client, output }) => {
  const status = await clusterApi(client).clusterStatus();
  if (!status.Member) throw new Error('this node is not part of a cluster: run `netctl cluster init` or `netctl cluster join` first');
  const nodes = [...status.Nodes].sort((a, b) => Number(b.Self) - Number(a.Self) || naturalCompare(a.Name, b.Name));
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = opts.quiet ? '{{.ID}}' : DEFAULT_TABLE;
  const mark = format === DEFAULT_TABLE;
  output.write(formatList(format, nodes.map((n) => row(n, opts.trunc !== false, mark)), HEADER));
};

function row(n: ClusterNode, trunc: boolean, mark: boolean) {
  const fields = {
    ID: (trunc ? n.ID.slice(0, 12) : n.ID) + (mark && n.Self ? ' *' : ''),
    Name: n.Name,
    Address: n.Addr,
    State: n.State,
    // '-' from a daemon that does not report roles
    Role: n.Role ?? '-',
    Blocks: (n.Blocks ?? []).join(',') || '-',
    LastSeen: n.LastSeen,
    // '-' for this node and for a node that has not answered a gossip ping yet
    RTT: n.RttMs === undefined || n.RttMs === null ? '-' : `${n.RttMs < 10 ? n.RttMs.toFixed(2) : Math.round(n.RttMs)}ms`,
    Self: String(n.Self),
  };
  return { ...fields, marshalJson: () => goJson(fields) };
}
