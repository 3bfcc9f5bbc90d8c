import { InvalidParameterError, type MacAddr } from '@app/common';
import { IFNAMSIZ_MAX } from './netlink.port';

/** Checks RtNetlink makes before sending, and FakeNetlink makes too, so both fail alike. */
export const MIN_MTU = 68;
export const MAX_MTU = 65535;

/** The kernel's dev_valid_name(), plus IFNAMSIZ. */
export function checkIfName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new InvalidParameterError(`invalid interface name "${name}"`);
  }
  if (Buffer.byteLength(name) > IFNAMSIZ_MAX) {
    throw new InvalidParameterError(`interface name "${name}" is longer than ${IFNAMSIZ_MAX} characters`);
  }
}

export function checkMtu(mtu: number, context: string): void {
  if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) {
    throw new InvalidParameterError(`${context}: MTU ${mtu} outside ${MIN_MTU}..${MAX_MTU}`);
  }
}

/** A hardware address the kernel accepts for a device: unicast and not all-zero. */
export function checkUnicastMac(mac: MacAddr, context: string): void {
  const b = mac.toBytes();
  if ((b[0] & 1) === 1 || b.every((x) => x === 0)) {
    throw new InvalidParameterError(`${context}: ${mac} is not a unicast address`);
  }
}

export function isZeroMac(mac: MacAddr): boolean {
  return mac.toBytes().every((b) => b === 0);
}
