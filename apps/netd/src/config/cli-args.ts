import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { InvalidParameterError } from '@app/common';
import { DEFAULT_CONFIG_FILE, NetdConfig, RawSettings, resolveConfig } from './netd-config';
import { versionLine } from '../version';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--default-address-pool base=10.10.0.0/16,size=24` (dockerd's syntax) → daemon.json shape. */
function parsePoolFlag(text: string): { base?: string; size?: number } {
  const out: { base?: string; size?: number } = {};
  for (const part of text.split(',')) {
    const [k, v] = part.split('=');
    if (k === 'base') out.base = v;
    else if (k === 'size') out.size = Number(v);
    else throw new InvalidParameterError(`invalid --default-address-pool ${JSON.stringify(text)}: expected base=CIDR,size=N`);
  }
  return out;
}

/** `true`/`false` as a flag value; anything else is passed through for resolveConfig to reject. */
function parseBool(v: string): boolean | string {
  return v === 'true' ? true : v === 'false' ? false : v;
}

export function buildProgram(): Command {
  return new Command('netd')
    .description('container networking daemon speaking the Docker Engine API')
    .version(versionLine(), '-v, --version', 'print the version and the git commit netd was built from')
    .option('-H, --host <addr>', 'listen on unix://PATH, tcp://HOST:PORT or fd:// (sockets from systemd) (repeatable)', collect)
    .option('--config-file <path>', 'daemon configuration file', DEFAULT_CONFIG_FILE)
    .option('--data-root <dir>', 'state directory (SQLite database)')
    .option('--exec-root <dir>', 'runtime directory')
    .addOption(new Option('-l, --log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal']))
    .option('--tls', 'use TLS (implied by --tlsverify)')
    .option('--tlsverify', 'use TLS and verify client certificates')
    .option('--tlscacert <path>', 'trust client certificates signed by this CA')
    .option('--tlscert <path>', 'server certificate')
    .option('--tlskey <path>', 'server key')
    .option('--insecure-tcp', 'allow plaintext TCP on a loopback address')
    .option('-b, --bridge <name>', 'name of the default bridge device')
    .option('--bip <cidr>', 'address and prefix of the default bridge, e.g. 172.17.0.1/16')
    .option('--default-address-pool <pool>', 'base=CIDR,size=N (repeatable)', collect)
    .option('--mtu <n>', 'default MTU', (v) => Number(v))
    .option('--dns <ip>', 'DNS server (repeatable)', collect)
    .option('--embedded-dns-default-bridge <bool>', 'serve container names on the default bridge (true|false)', parseBool)
    .option('--dns-ttl <seconds>', 'TTL of the embedded DNS answers', (v) => Number(v))
    .option('--dns-resolver <mode>', 'serve 127.0.0.11 from a resolver process that outlives restarts (process) or from netd itself (inline)')
    .option('--host-gateway-ip <ip>', 'address host-gateway stands for in --add-host')
    .option('--netns-dir <dir>', 'where sandbox namespaces are mounted')
    .option('--host-netns <path>', 'namespace to program (default: the daemon\'s own)')
    .option('--insecure-registry <host>', 'registry reached over plain HTTP (repeatable)', collect)
    .option('--metrics-addr <host:port>', 'serve Prometheus metrics at http://HOST:PORT/metrics')
    .option('--ui-addr <host:port>', 'serve the topology page at http://HOST:PORT/ (loopback only)')
    .option('--no-seed-busybox', 'do not create busybox:latest from /bin/busybox at start')
    .exitOverride();
}

/** Parse argv and the config file into a validated NetdConfig. Throws with every problem listed. */
export function loadConfig(argv: readonly string[], readFile: (p: string) => string = (p) => readFileSync(p, 'utf8')): NetdConfig {
  const program = buildProgram();
  program.parse(argv as string[], { from: 'user' });
  const o = program.opts();
  const explicitFile = program.getOptionValueSource('configFile') === 'cli';
  let file: RawSettings = {};
  try {
    const text = readFile(o.configFile);
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new InvalidParameterError(`${o.configFile}: must hold a JSON object`);
    }
    file = parsed as RawSettings;
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing || explicitFile) {
      throw new InvalidParameterError(`cannot read config file ${o.configFile}: ${(e as Error).message}`);
    }
  }
  const flags: RawSettings = {
    hosts: o.host,
    'data-root': o.dataRoot,
    'exec-root': o.execRoot,
    'log-level': o.logLevel,
    tls: o.tls,
    tlsverify: o.tlsverify,
    tlscacert: o.tlscacert,
    tlscert: o.tlscert,
    tlskey: o.tlskey,
    'insecure-tcp': o.insecureTcp,
    bridge: o.bridge,
    bip: o.bip,
    'default-address-pools': o.defaultAddressPool?.map(parsePoolFlag),
    mtu: o.mtu,
    dns: o.dns,
    'embedded-dns-default-bridge': o.embeddedDnsDefaultBridge,
    'dns-ttl': o.dnsTtl,
    'dns-resolver': o.dnsResolver,
    'host-gateway-ip': o.hostGatewayIp,
    'netns-dir': o.netnsDir,
    'host-netns': o.hostNetns,
    'insecure-registries': o.insecureRegistry,
    'metrics-addr': o.metricsAddr,
    'ui-addr': o.uiAddr,
    // commander defaults a --no-x flag to true; only an explicit flag overrides daemon.json
    'seed-busybox': program.getOptionValueSource('seedBusybox') === 'cli' ? o.seedBusybox : undefined,
  };
  return resolveConfig(file, flags);
}
