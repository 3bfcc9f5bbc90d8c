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

export const examplesHeading = 'Examples:';
