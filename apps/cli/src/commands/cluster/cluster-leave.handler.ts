import type { Handler } from '../../command';
import { clusterApi } from './cluster-api';

export const clusterLeaveHandler: Handler<Record<string, never>> = async (_input, { client, output }) => {
  await clusterApi(client).clusterLeave();
  output.line('Node left the cluster.');
};
