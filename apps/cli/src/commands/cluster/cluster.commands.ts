import { defineCommand, type GroupDefinition } from '../../command';

export const CLUSTER_GROUP: GroupDefinition = { name: 'cluster', description: 'Manage the overlay cluster' };

export interface ClusterInitOptions {
  advertiseAddr?: string;
  listenPort?: string;
  name?: string;
}

export interface ClusterJoinOptions extends ClusterInitOptions {
  bootstrap: string[];
}

export interface ClusterLsOptions {
  format?: string;
  quiet?: boolean;
  /** commander turns `--no-trunc` into `trunc: false`. */
  trunc: boolean;
}

const ADDRESS_OPTIONS = [
  { flags: '--advertise-addr <ip>', description: 'Address other nodes reach this one at (its VTEP and DHT address)' },
  { flags: '--listen-port <port>', description: 'UDP port of this node\'s DHT bootstrap node (default 7946)' },
  { flags: '--name <string>', description: 'Node name (default: the host name)' },
];

export const clusterInit = defineCommand<ClusterInitOptions>({
  path: ['cluster', 'init'],
  description: 'Create a cluster with this node as its first member',
  args: [],
  options: ADDRESS_OPTIONS,
  examples: [{ command: 'netctl cluster init --advertise-addr 192.0.2.1', description: 'Prints the join token for the other nodes' }],
  handler: () => import('./cluster-init.handler').then((m) => m.clusterInitHandler),
});

export const clusterJoin = defineCommand<ClusterJoinOptions>({
  path: ['cluster', 'join'],
  description: 'Join a cluster with a token from `cluster init`',
  args: [{ name: 'token', required: true }],
  options: [...ADDRESS_OPTIONS, { flags: '--bootstrap <ip:port>', description: 'Another member\'s DHT address, besides the token\'s', repeatable: true }],
  examples: [{ command: 'netctl cluster join --advertise-addr 192.0.2.2 NETD-CLUSTER-…' }],
  handler: () => import('./cluster-join.handler').then((m) => m.clusterJoinHandler),
});

export const clusterLs = defineCommand<ClusterLsOptions>({
  path: ['cluster', 'ls'],
  aliases: ['list'],
  description: 'List the nodes of the cluster',
  args: [],
  options: [
    { flags: '--format <string>', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
    { flags: '--no-trunc', description: 'Do not truncate the output' },
    { flags: '-q, --quiet', description: 'Only display node IDs' },
  ],
  examples: [{ command: 'netctl cluster ls' }, { command: 'netctl cluster ls --format json' }],
  handler: () => import('./cluster-ls.handler').then((m) => m.clusterLsHandler),
});

export const clusterLeave = defineCommand<Record<string, never>>({
  path: ['cluster', 'leave'],
  description: 'Leave the cluster (refused while this node has endpoints on overlay networks)',
  args: [],
  options: [],
  examples: [{ command: 'netctl cluster leave' }],
  handler: () => import('./cluster-leave.handler').then((m) => m.clusterLeaveHandler),
});

export const clusterRm = defineCommand<Record<string, never>>({
  path: ['cluster', 'rm'],
  aliases: ['remove'],
  description: "Remove a node from the cluster: its records, FDB entries and DNS names go on every host, and its key is refused",
  args: [{ name: 'node', required: true }],
  options: [],
  examples: [{ command: 'netctl cluster rm h3', description: 'By name, full id or unique id prefix' }],
  handler: () => import('./cluster-rm.handler').then((m) => m.clusterRmHandler),
});

export const clusterRotateKey = defineCommand<Record<string, never>>({
  path: ['cluster', 'rotate-key'],
  description: 'Replace the cluster key: members switch without dropping traffic, the old join token admits no new node',
  args: [],
  options: [],
  examples: [{ command: 'netctl cluster rotate-key', description: 'Prints the new join token' }],
  handler: () => import('./cluster-rotate-key.handler').then((m) => m.clusterRotateKeyHandler),
});

export const clusterInspect = defineCommand<{ format?: string }>({
  path: ['cluster', 'inspect'],
  description: "Display the membership and the keys' fingerprints",
  args: [],
  options: [{ flags: '-f, --format <string>', description: 'Format output using a custom template' }],
  examples: [{ command: 'netctl cluster inspect' }],
  handler: () => import('./cluster-inspect.handler').then((m) => m.clusterInspectHandler),
});

export const CLUSTER_COMMANDS = [clusterInit, clusterJoin, clusterLs, clusterInspect, clusterRm, clusterRotateKey, clusterLeave] as const;
