import { defineCommand } from '../../command';

export const renameCommand = defineCommand<Record<string, never>>({
  path: ['rename'],
  description: 'Rename a container',
  args: [{ name: 'container', required: true }, { name: 'new-name', required: true }],
  options: [],
  examples: [{ command: 'netctl rename web web-old' }],
  handler: () => import('./container-ops.handler').then((m) => m.renameHandler),
});

export const pauseCommand = defineCommand<Record<string, never>>({
  path: ['pause'],
  description: 'Pause all processes within one or more containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [],
  examples: [{ command: 'netctl pause web' }],
  handler: () => import('./container-ops.handler').then((m) => m.pauseHandler),
});

export const unpauseCommand = defineCommand<Record<string, never>>({
  path: ['unpause'],
  description: 'Unpause all processes within one or more containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [],
  examples: [{ command: 'netctl unpause web' }],
  handler: () => import('./container-ops.handler').then((m) => m.unpauseHandler),
});

export interface UpdateOptions {
  cpus?: string;
  cpuShares?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  pidsLimit?: string;
  restart?: string;
}

export const updateCommand = defineCommand<UpdateOptions>({
  path: ['update'],
  description: 'Update configuration of one or more containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [
    { flags: '--cpu-period <int>', description: 'Limit CPU CFS (Completely Fair Scheduler) period' },
    { flags: '--cpu-quota <int>', description: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
    { flags: '-c, --cpu-shares <int>', description: 'CPU shares (relative weight)' },
    { flags: '--cpus <decimal>', description: 'Number of CPUs' },
    { flags: '--cpuset-cpus <string>', description: 'CPUs in which to allow execution (0-3, 0,1)' },
    { flags: '--cpuset-mems <string>', description: 'MEMs in which to allow execution (0-3, 0,1)' },
    { flags: '-m, --memory <bytes>', description: 'Memory limit' },
    { flags: '--memory-reservation <bytes>', description: 'Memory soft limit' },
    { flags: '--memory-swap <bytes>', description: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' },
    { flags: '--pids-limit <int>', description: 'Tune container pids limit (set -1 for unlimited)' },
    { flags: '--restart <string>', description: 'Restart policy to apply when a container exits' },
  ],
  examples: [{ command: 'netctl update --memory 256m --cpus 0.5 web' }, { command: 'netctl update --restart always web' }],
  handler: () => import('./container-ops.handler').then((m) => m.updateHandler),
});

export const topCommand = defineCommand<Record<string, never>>({
  path: ['top'],
  description: 'Display the running processes of a container',
  args: [{ name: 'container', required: true }, { name: 'ps-options', variadic: true }],
  options: [],
  examples: [{ command: 'netctl top web' }, { command: 'netctl top web -o pid,comm' }],
  passThrough: true,
  handler: () => import('./container-ops.handler').then((m) => m.topHandler),
});

export interface ContainerPruneOptions {
  filter: string[];
  force?: boolean;
}

export const containerPruneCommand = defineCommand<ContainerPruneOptions>({
  path: ['container', 'prune'],
  description: 'Remove all stopped containers',
  args: [],
  options: [
    { flags: '--filter <filter>', description: "Provide filter values (e.g. 'until=<timestamp>')", repeatable: true },
    { flags: '-f, --force', description: 'Do not prompt for confirmation' },
  ],
  examples: [{ command: 'netctl container prune -f' }, { command: 'netctl container prune -f --filter until=24h' }],
  handler: () => import('./container-ops.handler').then((m) => m.containerPruneHandler),
});

export const statsCommand = defineCommand<{ stream: boolean; all?: boolean }>({
  path: ['stats'],
  description: 'Display a sample of container resource usage statistics',
  args: [{ name: 'container', variadic: true }],
  options: [
    { flags: '-a, --all', description: 'Show all containers (default shows just running)' },
    { flags: '--no-stream', description: 'Disable streaming stats and only pull the first result' },
  ],
  examples: [{ command: 'netctl stats --no-stream' }, { command: 'netctl stats --no-stream web' }],
  handler: () => import('./stats.handler').then((m) => m.statsHandler),
});

export const cpCommand = defineCommand<Record<string, never>>({
  path: ['cp'],
  description: 'Copy files/folders between a container and the local filesystem',
  args: [{ name: 'src', required: true }, { name: 'dest', required: true }],
  options: [],
  examples: [{ command: 'netctl cp web:/etc/hostname .' }, { command: 'netctl cp ./site web:/www' }, { command: 'netctl cp web:/www - > www.tar', description: 'A tar on stdout' }],
  handler: () => import('./cp.handler').then((m) => m.cpHandler),
});

export const CONTAINER_GROUP = { name: 'container', description: 'Manage containers' };

export const CONTAINER_OPS_COMMANDS = [renameCommand, pauseCommand, unpauseCommand, updateCommand, topCommand, statsCommand, cpCommand, containerPruneCommand];
