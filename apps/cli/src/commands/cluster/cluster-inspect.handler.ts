import type { Handler } from '../../command';
import { indentJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';
import { clusterApi } from './cluster-api';

/**
 * The membership as this node sees it, with the SHA-256 fingerprints (short form) of every node's
 * public key and of the cluster key, so an operator can compare them across hosts. The join token
 * is left out: it is the cluster's secret.
 */
export const clusterInspectHandler: Handler<{ format?: string }> = async ({ opts }, { client, output }) => {
  const s = await clusterApi(client).clusterStatus();
  if (!s.Member) throw new Error('this node is not part of a cluster: run `netctl cluster init` or `netctl cluster join` first');
  const view = {
    NodeID: s.NodeID,
    Name: s.Name,
    Fingerprint: s.Fingerprint ?? '',
    ClusterKeyFingerprint: s.ClusterKeyFingerprint ?? '',
    ClusterKeyEpoch: s.ClusterKeyEpoch ?? 0,
    AdvertiseAddr: s.AdvertiseAddr,
    ListenPort: s.ListenPort,
    RefusedRecords: s.RefusedRecords ?? 0,
    Members: s.Nodes.map((n) => ({ ID: n.ID, Name: n.Name, Fingerprint: n.Fingerprint ?? '', Addr: n.Addr, State: n.State, Self: n.Self })),
    Revoked: s.Revoked ?? [],
  };
  if (opts.format && opts.format !== 'json') output.line(compileTemplate(opts.format)(view));
  else output.line(indentJson(JSON.stringify(view)));
};
