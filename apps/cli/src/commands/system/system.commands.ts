import { defineCommand } from '../../command';
import { infoCommand } from './info.command';

export const SYSTEM_GROUPS = [
  { name: 'system', description: 'Manage netd' },
  { name: 'image', description: 'Manage images' },
];

export interface EventsOptions {
  filter: string[];
  format?: string;
  since?: string;
  until?: string;
}

const eventsDefinition = (path: string[]) =>
  defineCommand<EventsOptions>({
    path,
    description: 'Get real time events from the server',
    args: [],
    options: [
      { flags: '-f, --filter <filter>', description: 'Filter output based on conditions provided (type=, event=, container=, network=, image=, volume=, label=)', repeatable: true },
      { flags: '--format <string>', description: "Format output using a custom template: 'json' or a Go template" },
      { flags: '--since <string>', description: 'Show all events created since timestamp' },
      { flags: '--until <string>', description: 'Stream events until this timestamp' },
    ],
    examples: [
      { command: 'netctl events --filter type=container --filter event=start' },
      { command: "netctl events --since 10m --until 0s --format '{{.Type}} {{.Action}}'", description: 'What happened in the last ten minutes' },
    ],
    handler: () => import('./events.handler').then((m) => m.eventsHandler),
  });

export interface DfOptions {
  format?: string;
}

export const systemDf = defineCommand<DfOptions>({
  path: ['system', 'df'],
  description: 'Show netd disk usage',
  args: [],
  options: [{ flags: '--format <string>', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" }],
  examples: [{ command: 'netctl system df' }, { command: "netctl system df --format '{{.Type}}: {{.Size}}'" }],
  handler: () => import('./df.handler').then((m) => m.dfHandler),
});

export interface SystemPruneOptions {
  all?: boolean;
  volumes?: boolean;
  force?: boolean;
  filter: string[];
}

export const systemPrune = defineCommand<SystemPruneOptions>({
  path: ['system', 'prune'],
  description: 'Remove unused data',
  args: [],
  options: [
    { flags: '-a, --all', description: 'Remove all unused images not just dangling ones' },
    { flags: '--filter <filter>', description: "Provide filter values (e.g. 'label=<key>=<value>')", repeatable: true },
    { flags: '-f, --force', description: 'Do not prompt for confirmation' },
    { flags: '--volumes', description: 'Prune anonymous volumes' },
  ],
  examples: [{ command: 'netctl system prune -f' }, { command: 'netctl system prune -a --volumes -f' }],
  handler: () => import('./prune.handler').then((m) => m.systemPruneHandler),
});

export interface ImagePruneOptions {
  all?: boolean;
  force?: boolean;
  filter: string[];
}

export const imagePrune = defineCommand<ImagePruneOptions>({
  path: ['image', 'prune'],
  description: 'Remove unused images',
  args: [],
  options: [
    { flags: '-a, --all', description: 'Remove all unused images, not just dangling ones' },
    { flags: '--filter <filter>', description: "Provide filter values (e.g. 'until=<timestamp>')", repeatable: true },
    { flags: '-f, --force', description: 'Do not prompt for confirmation' },
  ],
  examples: [{ command: 'netctl image prune -f' }, { command: 'netctl image prune -a -f' }],
  handler: () => import('./prune.handler').then((m) => m.imagePruneHandler),
});

export const SYSTEM_COMMANDS = [
  eventsDefinition(['events']),
  eventsDefinition(['system', 'events']),
  systemDf,
  systemPrune,
  { ...infoCommand, path: ['system', 'info'] },
  imagePrune,
];
