import { defineCommand } from '../../command';

export interface ImagesOptions {
  all?: boolean;
  digests?: boolean;
  filter: string[];
  format?: string;
  trunc: boolean;
  quiet?: boolean;
}

export const imagesCommand = defineCommand<ImagesOptions>({
  path: ['images'],
  description: 'List images',
  args: [{ name: 'repository[:tag]' }],
  options: [
    { flags: '-a, --all', description: 'Show all images (default hides intermediate images)' },
    { flags: '--digests', description: 'Show digests' },
    { flags: '-f, --filter <filter>', description: 'Filter output based on conditions provided', repeatable: true },
    { flags: '--format <string>', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
    { flags: '--no-trunc', description: "Don't truncate output" },
    { flags: '-q, --quiet', description: 'Only show image IDs' },
  ],
  examples: [{ command: 'netctl images' }, { command: 'netctl images busybox -q' }, { command: "netctl images --format '{{.Repository}}:{{.Tag}}'" }],
  handler: () => import('./images.handler').then((m) => m.imagesHandler),
});

export const pullCommand = defineCommand<{ platform?: string; quiet?: boolean }>({
  path: ['pull'],
  description: 'Download an image from a registry',
  args: [{ name: 'name[:tag|@digest]', required: true }],
  options: [
    { flags: '--platform <string>', description: 'Set platform if server is multi-platform capable' },
    { flags: '-q, --quiet', description: 'Suppress verbose output' },
  ],
  examples: [{ command: 'netctl pull busybox' }, { command: 'netctl pull 127.0.0.1:5000/busybox:1.36' }],
  handler: () => import('./pull.handler').then((m) => m.pullHandler),
});

export const pushCommand = defineCommand<{ quiet?: boolean }>({
  path: ['push'],
  description: 'Upload an image to a registry',
  args: [{ name: 'name[:tag]', required: true }],
  options: [{ flags: '-q, --quiet', description: 'Suppress verbose output' }],
  examples: [{ command: 'netctl push 127.0.0.1:5000/busybox' }],
  handler: () => import('./push.handler').then((m) => m.pushHandler),
});

export const rmiCommand = defineCommand<{ force?: boolean; prune: boolean }>({
  path: ['rmi'],
  description: 'Remove one or more images',
  args: [{ name: 'image', required: true, variadic: true }],
  options: [
    { flags: '-f, --force', description: 'Force removal of the image' },
    { flags: '--no-prune', description: 'Do not delete untagged parents' },
  ],
  examples: [{ command: 'netctl rmi busybox' }],
  handler: () => import('./rmi.handler').then((m) => m.rmiHandler),
});

export const tagCommand = defineCommand<Record<string, never>>({
  path: ['tag'],
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  args: [{ name: 'source_image[:tag]', required: true }, { name: 'target_image[:tag]', required: true }],
  options: [],
  examples: [{ command: 'netctl tag busybox 127.0.0.1:5000/busybox:1' }],
  handler: () => import('./tag.handler').then((m) => m.tagHandler),
});

export interface BuildCliOptions {
  tag: string[];
  file?: string;
  buildArg: string[];
  network?: string;
  quiet?: boolean;
  cache: boolean;
}

export const buildCommand = defineCommand<BuildCliOptions>({
  path: ['build'],
  description: 'Build an image from a Dockerfile',
  args: [{ name: 'path', required: true }],
  options: [
    { flags: '--build-arg <list>', description: 'Set build-time variables', repeatable: true },
    { flags: '-f, --file <string>', description: "Name of the Dockerfile (default: 'PATH/Dockerfile')" },
    { flags: '--network <string>', description: 'Set the networking mode for the RUN instructions during build', default: 'default' },
    { flags: '--no-cache', description: 'Do not use cache when building the image' },
    { flags: '-q, --quiet', description: 'Suppress the build output and print image ID on success' },
    { flags: '-t, --tag <list>', description: 'Name and optionally a tag in the name:tag format', repeatable: true },
  ],
  examples: [{ command: 'netctl build -t busybox examples/busybox' }, { command: 'netctl build -q --build-arg V=1 -f Dockerfile.dev .' }],
  handler: () => import('./build.handler').then((m) => m.buildHandler),
});

export const saveCommand = defineCommand<{ output?: string }>({
  path: ['save'],
  description: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  args: [{ name: 'image', required: true, variadic: true }],
  options: [{ flags: '-o, --output <string>', description: 'Write to a file, instead of STDOUT' }],
  examples: [{ command: 'netctl save -o busybox.tar busybox' }],
  handler: () => import('./archive.handler').then((m) => m.saveHandler),
});

export const loadCommand = defineCommand<{ input?: string; quiet?: boolean }>({
  path: ['load'],
  description: 'Load an image from a tar archive or STDIN',
  args: [],
  options: [
    { flags: '-i, --input <string>', description: 'Read from tar archive file, instead of STDIN' },
    { flags: '-q, --quiet', description: 'Suppress the load output' },
  ],
  examples: [{ command: 'netctl load -i busybox.tar' }, { command: 'netctl save busybox | netctl load' }],
  handler: () => import('./archive.handler').then((m) => m.loadHandler),
});

export const importCommand = defineCommand<{ message?: string; change: string[] }>({
  path: ['import'],
  description: 'Import the contents from a tarball to create a filesystem image',
  args: [{ name: 'file|-', required: true }, { name: 'repository[:tag]' }],
  options: [
    { flags: '-c, --change <list>', description: 'Apply Dockerfile instruction to the created image', repeatable: true },
    { flags: '-m, --message <string>', description: 'Set commit message for imported image' },
  ],
  examples: [{ command: 'netctl import rootfs.tar myimage:1' }],
  handler: () => import('./archive.handler').then((m) => m.importHandler),
});

export const loginCommand = defineCommand<{ username?: string; password?: string; passwordStdin?: boolean }>({
  path: ['login'],
  description: 'Authenticate to a registry',
  args: [{ name: 'server' }],
  options: [
    { flags: '-p, --password <string>', description: 'Password or Personal Access Token (PAT)' },
    { flags: '--password-stdin', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { flags: '-u, --username <string>', description: 'Username' },
  ],
  examples: [{ command: 'echo "$PW" | netctl login -u me --password-stdin 127.0.0.1:5000' }],
  handler: () => import('./login.handler').then((m) => m.loginHandler),
});

export const logoutCommand = defineCommand<Record<string, never>>({
  path: ['logout'],
  description: 'Log out from a registry',
  args: [{ name: 'server' }],
  options: [],
  examples: [{ command: 'netctl logout 127.0.0.1:5000' }],
  handler: () => import('./login.handler').then((m) => m.logoutHandler),
});

export const IMAGE_COMMANDS = [imagesCommand, pullCommand, pushCommand, rmiCommand, tagCommand, buildCommand, saveCommand, loadCommand, importCommand, loginCommand, logoutCommand];
