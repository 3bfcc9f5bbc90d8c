import type { Handler } from '../../command';
import { clusterApi } from './cluster-api';

export const clusterRmHandler: Handler<Record<string, never>> = async ({ args }, { client, output }) => {
  const r = await clusterApi(client).clusterRemoveNode(String(args[0]));
  output.line(r.ID);
};
