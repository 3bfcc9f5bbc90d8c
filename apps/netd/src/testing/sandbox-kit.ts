import { IpNetns } from '@app/kernel';
import { openDatabase } from '../store/database';
import { StateStore } from '../store/state-store';
import { SandboxesService } from '../sandboxes/sandboxes.service';

/**
 * The library path tests use to make sandboxes for a running daemon: SandboxesService on the
 * daemon's own database (SQLite WAL allows the second process), namespaces under /run/netns.
 */
export function sandboxKit(dataRoot: string): { sandboxes: SandboxesService; close(): void; store: StateStore } {
  const db = openDatabase(dataRoot);
  const store = new StateStore(db);
  return { sandboxes: new SandboxesService(store, new IpNetns()), store, close: () => db.close() };
}
