import { NotFoundError } from '@app/common';
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import { statSync } from 'node:fs';
import type { NetnsRef } from '../netlink.port';
import { withNetns } from '../native/with-netns';

interface Entry {
  readonly sock: RtNetlinkSocket;
  /** nsfs inode of the namespace the socket was born in. */
  readonly ino: number;
}

/**
 * One rtnetlink socket per namespace path, each born inside its namespace. A socket holds its
 * namespace alive, so entries are checked against the path's current inode on every use (a
 * deleted or re-created namespace gets a fresh socket), released when a namespace is deleted,
 * and capped (least recently used goes first) so thousands of containers do not pin
 * thousands of namespaces.
 */
export class SocketCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max = 128) {}

  get(ref: NetnsRef): RtNetlinkSocket {
    let ino: number;
    try {
      ino = statSync(ref.path).ino;
    } catch {
      this.close(ref.path);
      throw new NotFoundError(`network namespace ${ref.path} does not exist`);
    }
    const hit = this.entries.get(ref.path);
    if (hit && hit.ino === ino) {
      this.entries.delete(ref.path);
      this.entries.set(ref.path, hit);
      return hit.sock;
    }
    this.close(ref.path);
    const sock = withNetns(ref, () => createRtNetlink());
    this.entries.set(ref.path, { sock, ino });
    while (this.entries.size > this.max) this.close(this.entries.keys().next().value as string);
    return sock;
  }

  close(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    e.sock.socket.close();
  }

  closeAll(): void {
    for (const path of [...this.entries.keys()]) this.close(path);
  }
}
