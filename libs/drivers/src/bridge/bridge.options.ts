import { InvalidParameterError, IpAddr, shortId } from '@app/common';
import { IFNAMSIZ_MAX } from '@app/kernel/netlink.port';

/** Docker's option keys for the bridge driver (libnetwork netlabel + bridge/labels.go). */
export const OPTION_BRIDGE_NAME = 'com.docker.network.bridge.name';
export const OPTION_ENABLE_ICC = 'com.docker.network.bridge.enable_icc';
export const OPTION_ENABLE_IP_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
export const OPTION_HOST_BINDING_IPV4 = 'com.docker.network.bridge.host_binding_ipv4';
export const OPTION_DEFAULT_BRIDGE = 'com.docker.network.bridge.default_bridge';
export const OPTION_MTU = 'com.docker.network.driver.mtu';
export const OPTION_CONTAINER_IFACE_PREFIX = 'com.docker.network.container_iface_prefix';

export const KNOWN_OPTIONS: readonly string[] = [
  OPTION_BRIDGE_NAME,
  OPTION_ENABLE_ICC,
  OPTION_ENABLE_IP_MASQUERADE,
  OPTION_HOST_BINDING_IPV4,
  OPTION_DEFAULT_BRIDGE,
  OPTION_MTU,
  OPTION_CONTAINER_IFACE_PREFIX,
];

export const DEFAULT_MTU = 1500;
export const MIN_MTU = 68;
export const MAX_MTU = 65535;

/** The default network's bridge; deliberately not docker0 so netd can run beside dockerd. */
export const DEFAULT_BRIDGE_NAME = 'netd0';
/** User networks: `br-` + the first 12 hex characters of the network id (Docker's scheme). */
export const BRIDGE_PREFIX = 'br-';
export const BRIDGE_ID_LEN = 12;

/** Typed options of one bridge network (netavark's InternalData idea). */
export interface BridgeOptions {
  /** Explicit bridge device name; absent: `br-<12 hex>` (or the driver's default for the default bridge). */
  readonly bridgeName?: string;
  /** Containers of this network may talk to each other (Docker's default true). */
  readonly enableIcc: boolean;
  /** Masquerade traffic leaving the bridge for anywhere else (default true; never for internal). */
  readonly enableIpMasquerade: boolean;
  /** Default host address for port mappings without one; absent: every address (0.0.0.0). */
  readonly hostBindingIpv4?: IpAddr;
  /** This is the daemon's default network "bridge"; its device is the driver's default bridge name. */
  readonly defaultBridge: boolean;
  /** MTU of the bridge and of every veth on it. */
  readonly mtu: number;
  /** Replaces `eth` in the container interface names the daemon chooses (`eth1` → `<prefix>1`). */
  readonly containerIfacePrefix?: string;
}

/** Go's strconv.ParseBool, which Docker uses for every boolean option. */
const TRUE_FORMS = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const FALSE_FORMS = ['0', 'f', 'F', 'FALSE', 'false', 'False'];
const IFNAME_CHARS = /^[A-Za-z0-9_-]+$/;

function parseBool(key: string, value: string): boolean {
  if (TRUE_FORMS.includes(value)) return true;
  if (FALSE_FORMS.includes(value)) return false;
  throw new InvalidParameterError(`invalid boolean "${value}" for option ${key}`);
}

function parseMtu(value: string): number {
  const n = /^[0-9]{1,6}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < MIN_MTU || n > MAX_MTU) {
    throw new InvalidParameterError(`invalid MTU "${value}": must be an integer between ${MIN_MTU} and ${MAX_MTU}`);
  }
  return n;
}

/**
 * Interface names: 1..15 bytes; we also refuse '.' (the sysctl key of a device with a dot in
 * its name is ambiguous) and anything outside [A-Za-z0-9_-].
 */
export function validateIfname(what: string, name: string, maxLen = IFNAMSIZ_MAX): string {
  if (name.length === 0) throw new InvalidParameterError(`invalid ${what} "": empty`);
  if (Buffer.byteLength(name) > maxLen) {
    throw new InvalidParameterError(`invalid ${what} "${name}": longer than ${maxLen} characters`);
  }
  if (!IFNAME_CHARS.test(name)) {
    throw new InvalidParameterError(`invalid ${what} "${name}": only letters, digits, '_' and '-' are allowed`);
  }
  return name;
}

/** Parse Docker's raw option map. Pure; throws InvalidParameterError naming the first bad key. */
export function parseBridgeOptions(raw: Readonly<Record<string, string>>): BridgeOptions {
  const unknown = Object.keys(raw).filter((k) => !KNOWN_OPTIONS.includes(k)).sort();
  if (unknown.length > 0) {
    throw new InvalidParameterError(`unknown option "${unknown[0]}" for the bridge driver`);
  }
  const has = (k: string) => Object.prototype.hasOwnProperty.call(raw, k);
  let hostBindingIpv4: IpAddr | undefined;
  if (has(OPTION_HOST_BINDING_IPV4)) {
    const ip = IpAddr.tryParse(raw[OPTION_HOST_BINDING_IPV4]);
    if (!ip) {
      throw new InvalidParameterError(`invalid address "${raw[OPTION_HOST_BINDING_IPV4]}" for option ${OPTION_HOST_BINDING_IPV4}`);
    }
    hostBindingIpv4 = ip.value === 0n ? undefined : ip;
  }
  // Leave room for up to 2 digits after the prefix (eth0 … eth99).
  const prefix = has(OPTION_CONTAINER_IFACE_PREFIX)
    ? validateIfname('container interface prefix', raw[OPTION_CONTAINER_IFACE_PREFIX], IFNAMSIZ_MAX - 2)
    : undefined;
  return {
    bridgeName: has(OPTION_BRIDGE_NAME) ? validateIfname('bridge name', raw[OPTION_BRIDGE_NAME]) : undefined,
    enableIcc: has(OPTION_ENABLE_ICC) ? parseBool(OPTION_ENABLE_ICC, raw[OPTION_ENABLE_ICC]) : true,
    enableIpMasquerade: has(OPTION_ENABLE_IP_MASQUERADE)
      ? parseBool(OPTION_ENABLE_IP_MASQUERADE, raw[OPTION_ENABLE_IP_MASQUERADE])
      : true,
    hostBindingIpv4,
    defaultBridge: has(OPTION_DEFAULT_BRIDGE) ? parseBool(OPTION_DEFAULT_BRIDGE, raw[OPTION_DEFAULT_BRIDGE]) : false,
    mtu: has(OPTION_MTU) ? parseMtu(raw[OPTION_MTU]) : DEFAULT_MTU,
    containerIfacePrefix: prefix,
  };
}

/** `br-<12 hex>` for a network id; length-checked. */
export function bridgeNameFor(networkId: string): string {
  if (!/^[0-9a-f]{12,}$/.test(networkId)) {
    throw new InvalidParameterError(`invalid network id "${networkId}": expected hexadecimal`);
  }
  const name = BRIDGE_PREFIX + shortId(networkId);
  if (name.length !== BRIDGE_PREFIX.length + BRIDGE_ID_LEN || name.length > IFNAMSIZ_MAX) {
    throw new InvalidParameterError(`bridge name ${name} does not fit IFNAMSIZ`);
  }
  return name;
}

/** The bridge device a network uses. */
export function resolveBridgeName(networkId: string, opts: BridgeOptions, defaultName: string): string {
  if (opts.bridgeName) return opts.bridgeName;
  if (opts.defaultBridge) return defaultName;
  return bridgeNameFor(networkId);
}
