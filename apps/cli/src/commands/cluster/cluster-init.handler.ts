import type { Handler } from '../../command';
import { clusterApi } from './cluster-api';
import { addressRequest } from './cluster-input';
import type { ClusterInitOptions } from './cluster.commands';

/** Prints the node id and the join command with the token, as `docker swarm init` does. */
export const clusterInitHandler: Handler<ClusterInitOptions> = async ({ opts }, { client, output }) => {
  const res = await clusterApi(client).clusterInit(addressRequest(opts));
  output.line(`Cluster initialized: current node (${res.NodeID.slice(0, 12)}) is now a member.`);
  output.line('');
  output.line('To add a node to this cluster, run the following command on it:');
  output.line('');
  output.line(`    netctl cluster join --advertise-addr <its address> ${res.Token}`);
  output.line('');
};
