import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Make `path` a directory only netd's user can enter (mode 0700), creating it if needed.
 *
 * The data root holds netd.db and every container's config.json (with its Env), and unpacked
 * layers whose setuid binaries anyone could run through a searchable parent; the exec root holds
 * runc's state and conmon's attach sockets. dockerd keeps the same roots private. A directory
 * netd cannot make private is refused: one owned by another user could be swapped under netd,
 * and a chmod the file system ignores would leave the files open.
 */
export function ensurePrivateDir(path: string, what: string, uid = process.getuid?.() ?? 0): void {
  // mkdir's mode is filtered by the umask and leaves an existing directory as it is: chmod after
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = statSync(path);
  if (!st.isDirectory()) throw new Error(`${what} ${path} is not a directory`);
  if (st.uid !== uid) throw new Error(`${what} ${path} is owned by uid ${st.uid}, not by netd's user (uid ${uid}); refusing to use it`);
  if ((st.mode & 0o7777) !== 0o700) {
    try {
      chmodSync(path, 0o700);
    } catch (e) {
      throw new Error(`${what} ${path} cannot be made private (mode 0700): ${(e as Error).message}`);
    }
    const mode = statSync(path).mode & 0o7777;
    if (mode !== 0o700) throw new Error(`${what} ${path} cannot be made private: its mode stays ${mode.toString(8).padStart(4, '0')} after chmod 0700`);
  }
}
