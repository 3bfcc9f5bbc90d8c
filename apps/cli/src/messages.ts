/** Every user-facing string of netctl. Docker's wording wherever docker has one. */

export const PROGRAM = 'netctl';
export const DESCRIPTION = 'A docker-style command line for netd, the container networking daemon';

export const flags = {
  host: 'Daemon socket to connect to (unix:///path or tcp://host:port)',
  tls: 'Use TLS; implied by --tlsverify',
  tlsverify: 'Use TLS and verify the remote',
  tlscacert: 'Trust certs signed only by this CA',
  tlscert: 'Path to TLS certificate file',
  tlskey: 'Path to TLS key file',
  debug: 'Enable debug mode',
  version: 'Print version information and quit',
  help: 'Print usage',
  config: 'Location of client config files (default "~/.docker")',
};

export const daemonError = (message: string) => `Error response from daemon: ${message}`;
export const genericError = (message: string) => `Error: ${message}`;
export const cannotConnect = (host: string) => `Cannot connect to the netd daemon at ${host}. Is the daemon running?`;
export const noSuchNetwork = (name: string) => `Error: No such network: ${name}`;
export const templateError = (message: string) => `template parsing error: ${message}`;
export const badFilter = (value: string) => `invalid argument "${value}" for "-f, --filter" flag: bad format of filter (expected name=value)`;
export const badKeyValue = (flag: string, value: string) => `invalid argument "${value}" for "${flag}" flag: expected key=value`;
export const seeHelp = (command: string) => `See '${PROGRAM} ${command} --help'.`;

export const prune = {
  warning: 'WARNING! This will remove all custom networks not used by at least one container.',
  confirm: 'Are you sure you want to continue? [y/N] ',
  deleted: 'Deleted Networks:',
};

export const volumes = {
  nameConflict: 'conflicting options: either specify --name or provide positional arg, not both',
  allConflict: 'conflicting options: cannot specify both --all and --filter all=1',
  pruneWarning: 'WARNING! This will remove anonymous local volumes not used by at least one container.',
  pruneAllWarning: 'WARNING! This will remove all local volumes not used by at least one container.',
  deleted: 'Deleted Volumes:',
  reclaimed: 'Total reclaimed space:',
};

export const ipam = {
  needSubnet: 'every ip-range or gateway must have a corresponding subnet',
  overlapping: 'multiple overlapping subnet configuration is not supported',
  invalidSubnet: (s: string) => `invalid subnet ${s}: invalid CIDR address: ${s}`,
  invalidAddress: (a: string) => `invalid address ${a}`,
  multipleRanges: (r: string, prev: string, s: string) => `cannot configure multiple ranges (${r}, ${prev}) on the same subnet (${s})`,
  multipleGateways: (g: string, prev: string, s: string) => `cannot configure multiple gateways (${g}, ${prev}) for the same subnet (${s})`,
  noSubnetForRange: (r: string) => `no matching subnet for range ${r}`,
  noSubnetForGateway: (g: string) => `no matching subnet for gateway ${g}`,
  noSubnetForAux: (a: string) => `no matching subnet for aux-address ${a}`,
};

export const completion = {
  unknownShell: (shell: string) => `unsupported shell "${shell}": use bash or zsh`,
};

/** `run`/`create` fail before the container starts: docker's prefix, then the help hint (exit 125). */
export const runError = (command: string, message: string) => `${PROGRAM}: ${message}\n${seeHelp(command)}`;
export const noSuchObject = (name: string) => `Error: No such object: ${name}`;
export const noSuchOf = (type: string, name: string) => `Error: No such ${type}: ${name}`;
export const warning = (text: string) => `WARNING: ${text}`;

export const containers = {
  pruneWarning: 'WARNING! This will remove all stopped containers.',
  pruneDeleted: 'Deleted Containers:',
  unableToFind: (ref: string) => `Unable to find image '${ref}' locally`,
  conflictDetachAttach: 'Conflicting options: -a and -d',
  conflictRmRestart: 'Conflicting options: --restart and --rm',
  invalidRestart: (v: string) => `invalid restart policy format: ${v}`,
  invalidPort: (v: string) => `invalid port format for --publish: ${v}`,
  invalidEnvFile: (path: string, msg: string) => `open ${path}: ${msg}`,
  noPublicPort: (port: string, c: string) => `Error: No public port '${port}' published for ${c}`,
  ttyNeedsTerminal: 'the input device is not a TTY',
  execNeedsCommand: '"exec" requires at least 2 arguments.',
};

export const images = {
  usingDefaultTag: 'Using default tag: latest',
  refuseTerminal: 'cowardly refusing to save to a terminal. Use the -o flag or redirect',
  loadEmptyStdin: 'requested load from stdin, but stdin is empty',
  loginSucceeded: 'Login Succeeded',
  passwordInsecure: 'WARNING! Using --password via the CLI is insecure. Use --password-stdin.',
  passwordStdinNeedsUser: 'Must provide --username with --password-stdin',
  passwordConflict: '--password and --password-stdin are mutually exclusive',
  nonTtyLogin: 'Cannot perform an interactive login from a non TTY device',
  removingLogin: (server: string) => `Removing login credentials for ${server}`,
  notLoggedIn: (server: string) => `Not logged in to ${server}`,
  invalidTag: (ref: string) => `invalid reference format: ${ref}`,
};

export const examplesHeading = 'Examples:';

export const system = {
  imagesWarning: 'WARNING! This will remove all dangling images.',
  imagesAllWarning: 'WARNING! This will remove all images without at least one container associated to them.',
  pruneWarning: (items: readonly string[]) => `WARNING! This will remove:\n${items.map((i) => `  - ${i}`).join('\n')}\n`,
  stoppedContainers: 'all stopped containers',
  unusedNetworks: 'all networks not used by at least one container',
  anonymousVolumes: 'all anonymous volumes not used by at least one container',
  danglingImages: 'all dangling images',
  unusedImages: 'all images without at least one container associated to them',
  deletedContainers: 'Deleted Containers:',
  deletedImages: 'Deleted Images:',
  reclaimed: 'Total reclaimed space:',
  dfHeader: { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' },
};
