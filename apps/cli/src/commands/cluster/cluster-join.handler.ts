import type { Handler } from '../../command';
import { clusterApi } from './cluster-api';
import { addressRequest } from './cluster-input';
import type { ClusterJoinOptions } from './cluster.commands';

export const clusterJoinHandler: Handler<ClusterJoinOptions> = async ({ args, opts }, { client, output }) => {
  const req = { ...addressRequest(opts), Token: args[0], ...(opts.bootstrap.length > 0 ? { Bootstrap: opts.bootstrap } : {}) };
  const res = await clusterApi(client).clusterJoin(req);
  output.line(`This node (${res.NodeID.slice(0, 12)}) joined the cluster.`);
};
