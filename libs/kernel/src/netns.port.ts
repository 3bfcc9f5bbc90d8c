import type { NetnsRef } from './netlink.port';

/**
 * Named network namespaces, held open by a bind mount under a directory (`/run/netns` by
 * default, the same one `ip netns` uses, so `ip -n NAME` sees them).
 */
export abstract class Netns {
  /**
   * Create a new, empty namespace `name` (only `lo`, down) and return its ref. Conflict if the
   * name exists; InvalidParameter for a name with `/` or over 64 characters. Leaves nothing
   * behind on failure.
   */
  abstract create(name: string): Promise<NetnsRef>;

  /** Unmount and remove `name`. Links inside it die with it. NotFound if missing. */
  abstract delete(name: string): Promise<void>;

  /** The ref of `name`, or undefined if it does not exist. */
  abstract get(name: string): Promise<NetnsRef | undefined>;

  /** Names of the namespaces under the directory. */
  abstract list(): Promise<string[]>;
}
