import type { Handler } from '../../command';
import { formatList } from '../../output/formatter';
import { goJson } from '../../output/go-json';
import { naturalCompare } from '../../output/natural-sort';
import { clusterApi, type ClusterNode } from './cluster-api';
import type { ClusterLsOptions } from './cluster.commands';

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Address}}\t{{.State}}\t{{.LastSeen}}';
const HEADER = { ID: 'ID', Name: 'NAME', Address: 'ADDRESS', State: 'STATE', LastSeen: 'LAST SEEN', Self: 'SELF' };

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
    LastSeen: n.LastSeen,
    Self: String(n.Self),
  };
  return { ...fields, marshalJson: () => goJson(fields) };
}
