import type { CommandDefinition, GroupDefinition } from '../command';
import { CLUSTER_COMMANDS, CLUSTER_GROUP } from './cluster/cluster.commands';
import { completionCommand } from './completion/completion.command';
import { CONTAINER_COMMANDS } from './container/container.commands';
import { CONTAINER_GROUP, CONTAINER_OPS_COMMANDS } from './container/container-ops.commands';
import { IMAGE_COMMANDS } from './image/image.commands';
import { networkConnect } from './network/network-connect.command';
import { networkCreate } from './network/network-create.command';
import { networkDisconnect } from './network/network-disconnect.command';
import { networkInspect } from './network/network-inspect.command';
import { networkLs } from './network/network-ls.command';
import { networkPrune } from './network/network-prune.command';
import { networkRm } from './network/network-rm.command';
import { infoCommand } from './system/info.command';
import { SYSTEM_COMMANDS, SYSTEM_GROUPS } from './system/system.commands';
import { versionCommand } from './system/version.command';
import { VOLUME_COMMANDS, VOLUME_GROUP } from './volume/volume.commands';

/** The command tree. Handlers stay unloaded until their command runs. */
export const GROUPS: readonly GroupDefinition[] = [{ name: 'network', description: 'Manage networks' }, CONTAINER_GROUP, VOLUME_GROUP, CLUSTER_GROUP, ...SYSTEM_GROUPS];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own options type
export const COMMANDS: readonly CommandDefinition<any>[] = [
  networkConnect,
  networkCreate,
  networkDisconnect,
  networkInspect,
  networkLs,
  networkPrune,
  networkRm,
  ...CONTAINER_COMMANDS,
  ...CONTAINER_OPS_COMMANDS,
  ...IMAGE_COMMANDS,
  ...VOLUME_COMMANDS,
  ...CLUSTER_COMMANDS,
  ...SYSTEM_COMMANDS,
  infoCommand,
  versionCommand,
  completionCommand,
];
