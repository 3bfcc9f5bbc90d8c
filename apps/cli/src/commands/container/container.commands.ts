import { defineCommand } from '../../command';
import { CONTAINER_CREATE_OPTIONS, type ContainerCreateOptions } from './container-create.options';

export interface RunOptions extends ContainerCreateOptions {
  detach?: boolean;
}

export const runCommand = defineCommand<RunOptions>({
  path: ['run'],
  description: 'Create and run a new container from an image',
  args: [{ name: 'image', required: true }, { name: 'command', variadic: true }],
  options: [{ flags: '-d, --detach', description: 'Run container in background and print container ID' }, ...CONTAINER_CREATE_OPTIONS],
  examples: [
    { command: 'netctl run --rm busybox echo hi' },
    { command: 'netctl run -d --name web --network n1 -p 127.0.0.1:8080:80 busybox httpd -f', description: 'A web server on a user network, published on the host' },
    { command: 'netctl run -it --rm busybox sh', description: 'An interactive shell' },
  ],
  passThrough: true,
  longHelpOnly: true,
  handler: () => import('./run.handler').then((m) => m.runHandler),
});

export const createCommand = defineCommand<ContainerCreateOptions>({
  path: ['create'],
  description: 'Create a new container',
  args: [{ name: 'image', required: true }, { name: 'command', variadic: true }],
  options: CONTAINER_CREATE_OPTIONS,
  examples: [{ command: 'netctl create --name a busybox sleep 60', description: 'Prints the new container ID' }],
  passThrough: true,
  longHelpOnly: true,
  handler: () => import('./create.handler').then((m) => m.createHandler),
});

export const startCommand = defineCommand<{ attach?: boolean; interactive?: boolean }>({
  path: ['start'],
  description: 'Start one or more stopped containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [
    { flags: '-a, --attach', description: "Attach STDOUT/STDERR and forward signals" },
    { flags: '-i, --interactive', description: "Attach container's STDIN" },
  ],
  examples: [{ command: 'netctl start a b' }, { command: 'netctl start -a a', description: 'Start and stream its output; exit with its code' }],
  handler: () => import('./start.handler').then((m) => m.startHandler),
});

export interface StopOptions {
  time?: string;
  signal?: string;
}

export const stopCommand = defineCommand<StopOptions>({
  path: ['stop'],
  description: 'Stop one or more running containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [
    { flags: '-s, --signal <string>', description: 'Signal to send to the container' },
    { flags: '-t, --time <int>', description: 'Seconds to wait before killing the container' },
  ],
  examples: [{ command: 'netctl stop -t 2 a' }],
  handler: () => import('./lifecycle.handler').then((m) => m.stopHandler),
});

export const restartCommand = defineCommand<StopOptions>({
  path: ['restart'],
  description: 'Restart one or more containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: stopCommand.options,
  examples: [{ command: 'netctl restart a' }],
  handler: () => import('./lifecycle.handler').then((m) => m.restartHandler),
});

export const killCommand = defineCommand<{ signal?: string }>({
  path: ['kill'],
  description: 'Kill one or more running containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [{ flags: '-s, --signal <string>', description: 'Signal to send to the container' }],
  examples: [{ command: 'netctl kill -s HUP a' }],
  handler: () => import('./lifecycle.handler').then((m) => m.killHandler),
});

export const rmCommand = defineCommand<{ force?: boolean; volumes?: boolean; link?: boolean }>({
  path: ['rm'],
  description: 'Remove one or more containers',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [
    { flags: '-f, --force', description: 'Force the removal of a running container (uses SIGKILL)' },
    { flags: '-l, --link', description: 'Remove the specified link' },
    { flags: '-v, --volumes', description: 'Remove anonymous volumes associated with the container' },
  ],
  examples: [{ command: 'netctl rm -f a' }],
  handler: () => import('./lifecycle.handler').then((m) => m.rmHandler),
});

export const waitCommand = defineCommand<Record<string, never>>({
  path: ['wait'],
  description: 'Block until one or more containers stop, then print their exit codes',
  args: [{ name: 'container', required: true, variadic: true }],
  options: [],
  examples: [{ command: 'netctl wait a' }],
  handler: () => import('./lifecycle.handler').then((m) => m.waitHandler),
});

export interface PsOptions {
  all?: boolean;
  filter: string[];
  format?: string;
  last?: string;
  latest?: boolean;
  trunc: boolean;
  quiet?: boolean;
  size?: boolean;
}

export const psCommand = defineCommand<PsOptions>({
  path: ['ps'],
  description: 'List containers',
  args: [],
  options: [
    { flags: '-a, --all', description: 'Show all containers (default shows just running)' },
    { flags: '-f, --filter <filter>', description: 'Filter output based on conditions provided', repeatable: true },
    { flags: '--format <string>', description: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'" },
    { flags: '-n, --last <int>', description: 'Show n last created containers (includes all states)' },
    { flags: '-l, --latest', description: 'Show the latest created container (includes all states)' },
    { flags: '--no-trunc', description: "Don't truncate output" },
    { flags: '-q, --quiet', description: 'Only display container IDs' },
  ],
  examples: [{ command: 'netctl ps -a' }, { command: "netctl ps --format '{{.Names}} {{.Status}}'" }, { command: 'netctl ps -q -f status=exited' }],
  handler: () => import('./ps.handler').then((m) => m.psHandler),
});

export interface LogsCliOptions {
  follow?: boolean;
  tail: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
}

export const logsCommand = defineCommand<LogsCliOptions>({
  path: ['logs'],
  description: 'Fetch the logs of a container',
  args: [{ name: 'container', required: true }],
  options: [
    { flags: '-f, --follow', description: 'Follow log output' },
    { flags: '--since <string>', description: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { flags: '-n, --tail <string>', description: 'Number of lines to show from the end of the logs', default: 'all' },
    { flags: '-t, --timestamps', description: 'Show timestamps' },
    { flags: '--until <string>', description: 'Show logs before a timestamp or relative' },
  ],
  examples: [{ command: 'netctl logs -f --tail 10 a' }],
  handler: () => import('./logs.handler').then((m) => m.logsHandler),
});

export interface ExecOptions {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  user?: string;
  workdir?: string;
  privileged?: boolean;
}

export const execCommand = defineCommand<ExecOptions>({
  path: ['exec'],
  description: 'Execute a command in a running container',
  args: [{ name: 'container', required: true }, { name: 'command', variadic: true }],
  options: [
    { flags: '-d, --detach', description: 'Detached mode: run command in the background' },
    { flags: '-e, --env <list>', description: 'Set environment variables', repeatable: true },
    { flags: '-i, --interactive', description: 'Keep STDIN open even if not attached' },
    { flags: '--privileged', description: 'Give extended privileges to the command' },
    { flags: '-t, --tty', description: 'Allocate a pseudo-TTY' },
    { flags: '-u, --user <string>', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { flags: '-w, --workdir <string>', description: 'Working directory inside the container' },
  ],
  examples: [{ command: 'netctl exec a echo x' }, { command: 'netctl exec -it a sh' }],
  passThrough: true,
  handler: () => import('./exec.handler').then((m) => m.execHandler),
});

export const attachCommand = defineCommand<{ stdin: boolean }>({
  path: ['attach'],
  description: "Attach local standard input, output, and error streams to a running container",
  args: [{ name: 'container', required: true }],
  options: [{ flags: '--no-stdin', description: 'Do not attach STDIN' }],
  examples: [{ command: 'netctl attach a' }],
  handler: () => import('./attach.handler').then((m) => m.attachHandler),
});

export const portCommand = defineCommand<Record<string, never>>({
  path: ['port'],
  description: 'List port mappings or a specific mapping for the container',
  args: [{ name: 'container', required: true }, { name: 'port' }],
  options: [],
  examples: [{ command: 'netctl port web' }, { command: 'netctl port web 80/tcp' }],
  handler: () => import('./port.handler').then((m) => m.portHandler),
});

export const inspectCommand = defineCommand<{ format?: string; type?: string; size?: boolean }>({
  path: ['inspect'],
  description: 'Return low-level information on containers, images or networks',
  args: [{ name: 'name', required: true, variadic: true }],
  options: [
    { flags: '-f, --format <string>', description: "Format output using a custom template: 'json', 'TEMPLATE'" },
    { flags: '-s, --size', description: 'Display total file sizes if the type is container' },
    { flags: '--type <string>', description: 'Only inspect objects of the given type', choices: ['container', 'image', 'network'] },
  ],
  examples: [{ command: "netctl inspect -f '{{.State.Status}}' a" }, { command: 'netctl inspect --type image busybox' }],
  handler: () => import('./inspect.handler').then((m) => m.inspectHandler),
});

export const CONTAINER_COMMANDS = [runCommand, createCommand, startCommand, stopCommand, restartCommand, killCommand, rmCommand, waitCommand, psCommand, logsCommand, execCommand, attachCommand, portCommand, inspectCommand];
