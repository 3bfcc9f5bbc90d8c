import type { Handler } from '../../command';
import { clusterApi } from './cluster-api';

/** Prints the new key's fingerprint and epoch, and the join command with the new token, as `cluster init` does. */
export const clusterRotateKeyHandler: Handler<Record<string, never>> = async (_input, { client, output }) => {
  const res = await clusterApi(client).clusterRotateKey();
  output.line(`Cluster key rotated: epoch ${res.ClusterKeyEpoch}, fingerprint ${res.ClusterKeyFingerprint}.`);
  output.line('Every member switches to it as the rotation reaches it (a member down now, when it is back); running traffic is not disturbed.');
  output.line('The previous join token no longer admits new nodes. To add a node to this cluster, run the following command on it:');
  output.line('');
  output.line(`    netctl cluster join --advertise-addr <its address> ${res.Token}`);
  output.line('');
};
