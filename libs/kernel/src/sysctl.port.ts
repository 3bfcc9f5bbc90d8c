import type { NetnsRef } from './netlink.port';

/**
 * Kernel parameters under /proc/sys, read and written in a given namespace (the net.* keys are
 * per namespace). Keys use dots: `net.ipv4.ip_forward`. NotFound for an unknown key.
 */
export abstract class Sysctl {
  abstract get(ns: NetnsRef, key: string): Promise<string>;

  /** Write `value`; no-op when it already holds it. */
  abstract set(ns: NetnsRef, key: string, value: string): Promise<void>;
}
