import { defineCommand } from '../../command';

export const VOLUME_GROUP = { name: 'volume', description: 'Manage volumes' };

export interface VolumeCreateOptions {
  driver: string;
  label: string[];
  name?: string;
  opt: string[];
}

export const volumeCreate = defineCommand<VolumeCreateOptions>({
  path: ['volume', 'create'],
  description: 'Create a volume',
  args: [{ name: 'volume' }],
  options: [
    { flags: '-d, --driver <string>', description: 'Specify volume driver name', default: 'local' },
    { flags: '--label <list>', description: 'Set metadata for a volume', repeatable: true },
    { flags: '--name <string>', description: 'Specify volume name' },
    { flags: '-o, --opt <map>', description: 'Set driver specific options', repeatable: true },
  ],
  examples: [{ command: 'netctl volume create data' }, { command: 'netctl volume create --label env=test data2' }],
  handler: () => import('./volume-create.handler').then((m) => m.volumeCreateHandler),
});

export interface VolumeLsOptions {
  filter: string[];
  format?: string;
  quiet?: boolean;
}

export const volumeLs = defineCommand<VolumeLsOptions>({
  path: ['volume', 'ls'],
  aliases: ['list'],
  description: 'List volumes',
  args: [],
  options: [
    { flags: '-f, --filter <filter>', description: "Provide filter values (e.g. 'dangling=true')", repeatable: true },
    { flags: '--format <string>', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
    { flags: '-q, --quiet', description: 'Only display volume names' },
  ],
  examples: [{ command: 'netctl volume ls' }, { command: 'netctl volume ls -q -f dangling=true', description: 'Names of unused volumes' }],
  handler: () => import('./volume-ls.handler').then((m) => m.volumeLsHandler),
});

export interface VolumeInspectOptions {
  format?: string;
}

export const volumeInspect = defineCommand<VolumeInspectOptions>({
  path: ['volume', 'inspect'],
  description: 'Display detailed information on one or more volumes',
  args: [{ name: 'volume', required: true, variadic: true }],
  options: [{ flags: '-f, --format <string>', description: "Format output using a custom template: 'json' or a Go template" }],
  examples: [{ command: 'netctl volume inspect data' }, { command: "netctl volume inspect -f '{{.Mountpoint}}' data" }],
  handler: () => import('./volume-inspect.handler').then((m) => m.volumeInspectHandler),
});

export interface VolumeRmOptions {
  force?: boolean;
}

export const volumeRm = defineCommand<VolumeRmOptions>({
  path: ['volume', 'rm'],
  aliases: ['remove'],
  description: 'Remove one or more volumes',
  args: [{ name: 'volume', required: true, variadic: true }],
  options: [{ flags: '-f, --force', description: 'Force the removal of one or more volumes' }],
  examples: [{ command: 'netctl volume rm data' }],
  handler: () => import('./volume-rm.handler').then((m) => m.volumeRmHandler),
});

export interface VolumePruneOptions {
  all?: boolean;
  filter: string[];
  force?: boolean;
}

export const volumePrune = defineCommand<VolumePruneOptions>({
  path: ['volume', 'prune'],
  description: 'Remove unused local volumes',
  args: [],
  options: [
    { flags: '-a, --all', description: 'Remove all unused volumes, not just anonymous ones' },
    { flags: '--filter <filter>', description: "Provide filter values (e.g. 'label=<label>')", repeatable: true },
    { flags: '-f, --force', description: 'Do not prompt for confirmation' },
  ],
  examples: [{ command: 'netctl volume prune -f' }, { command: 'netctl volume prune -a -f --filter label=env=test' }],
  handler: () => import('./volume-prune.handler').then((m) => m.volumePruneHandler),
});

export const VOLUME_COMMANDS = [volumeCreate, volumeInspect, volumeLs, volumePrune, volumeRm];
