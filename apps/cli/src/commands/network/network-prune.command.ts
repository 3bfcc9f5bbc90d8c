import { defineCommand } from '../../command';

export interface NetworkPruneOptions {
  force?: boolean;
  filter: string[];
}

export const networkPrune = defineCommand<NetworkPruneOptions>({
  path: ['network', 'prune'],
  description: 'Remove all unused networks',
  args: [],
  options: [
    { flags: '--filter <filter>', description: "Provide filter values (e.g. 'until=<timestamp>', 'label=x')", repeatable: true },
    { flags: '-f, --force', description: 'Do not prompt for confirmation' },
  ],
  examples: [
    { command: 'netctl network prune' },
    { command: 'netctl network prune -f --filter label=env=test', description: 'Without asking, only networks labelled env=test' },
  ],
  handler: () => import('./network-prune.handler').then((m) => m.networkPruneHandler),
});
