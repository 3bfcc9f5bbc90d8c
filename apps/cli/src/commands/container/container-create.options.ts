import type { OptionDef } from '../../command';
import type { HealthFlags } from './health-flags';

/** The flags `run` and `create` share (docker's containerOptions), as commander parses them. */
export interface ContainerCreateOptions extends HealthFlags {
  name?: string;
  network?: string;
  networkAlias: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  link: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  addHost: string[];
  hostname?: string;
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  env: string[];
  envFile: string[];
  label: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  restart?: string;
  rm?: boolean;
  interactive?: boolean;
  tty?: boolean;
  attach: string[];
  stopSignal?: string;
  pull: string;
  quiet?: boolean;
  volume: string[];
  mount: string[];
  tmpfs: string[];
  volumesFrom: string[];
}

export const CONTAINER_CREATE_OPTIONS: readonly OptionDef[] = [
  { flags: '--add-host <list>', description: 'Add a custom host-to-IP mapping (host:ip)', repeatable: true },
  { flags: '-a, --attach <list>', description: 'Attach to STDIN, STDOUT or STDERR', repeatable: true },
  { flags: '--dns <list>', description: 'Set custom DNS servers', repeatable: true },
  { flags: '--dns-option <list>', description: 'Set DNS options', repeatable: true },
  { flags: '--dns-search <list>', description: 'Set custom DNS search domains', repeatable: true },
  { flags: '--entrypoint <string>', description: 'Overwrite the default ENTRYPOINT of the image' },
  { flags: '-e, --env <list>', description: 'Set environment variables', repeatable: true },
  { flags: '--env-file <list>', description: 'Read in a file of environment variables', repeatable: true },
  { flags: '--expose <list>', description: 'Expose a port or a range of ports', repeatable: true },
  { flags: '--health-cmd <string>', description: 'Command to run to check health' },
  { flags: '--health-interval <duration>', description: 'Time between running the check (ms|s|m|h) (default 0s)' },
  { flags: '--health-retries <int>', description: 'Consecutive failures needed to report unhealthy' },
  { flags: '--health-start-interval <duration>', description: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' },
  { flags: '--health-start-period <duration>', description: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' },
  { flags: '--health-timeout <duration>', description: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' },
  { flags: '-h, --hostname <string>', description: 'Container host name' },
  { flags: '-i, --interactive', description: 'Keep STDIN open even if not attached' },
  { flags: '--ip <string>', description: 'IPv4 address (e.g., 172.30.100.104)' },
  { flags: '--ip6 <string>', description: 'IPv6 address (e.g., 2001:db8::33)' },
  { flags: '-l, --label <list>', description: 'Set meta data on a container', repeatable: true },
  { flags: '--link <list>', description: 'Add link to another container', repeatable: true },
  { flags: '--mount <mount>', description: 'Attach a filesystem mount to the container', repeatable: true },
  { flags: '--mac-address <string>', description: 'Container MAC address (e.g., 92:d0:c6:0a:29:33)' },
  { flags: '--name <string>', description: 'Assign a name to the container' },
  { flags: '--no-healthcheck', description: 'Disable any container-specified HEALTHCHECK' },
  { flags: '--network <network>', description: 'Connect a container to a network' },
  { flags: '--network-alias <list>', description: 'Add network-scoped alias for the container', repeatable: true },
  { flags: '-p, --publish <list>', description: "Publish a container's port(s) to the host", repeatable: true },
  { flags: '-P, --publish-all', description: 'Publish all exposed ports to random ports' },
  { flags: '--pull <string>', description: 'Pull image before running ("always", "missing", "never")', default: 'missing', choices: ['always', 'missing', 'never'] },
  { flags: '-q, --quiet', description: 'Suppress the pull output' },
  { flags: '--restart <string>', description: 'Restart policy to apply when a container exits', default: 'no' },
  { flags: '--rm', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { flags: '--stop-signal <string>', description: 'Signal to stop the container' },
  { flags: '--tmpfs <list>', description: 'Mount a tmpfs directory', repeatable: true },
  { flags: '-t, --tty', description: 'Allocate a pseudo-TTY' },
  { flags: '-u, --user <string>', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { flags: '-v, --volume <list>', description: 'Bind mount a volume', repeatable: true },
  { flags: '--volumes-from <list>', description: 'Mount volumes from the specified container(s)', repeatable: true },
  { flags: '-w, --workdir <string>', description: 'Working directory inside the container' },
];
