import { ConflictError, SystemError } from '@app/common';
import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkVolumeName } from './volume-name';

/** Modes as moby's local driver: the volumes dir and each volume's dir 0701 (no listing by others), `_data` 0755. */
export const ROOT_MODE = 0o701;
export const VOLUME_DIR_MODE = 0o701;
export const DATA_MODE = 0o755;

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

/**
 * The `local` driver: a volume is the directory `<root>/<name>/_data`.
 *
 * Paths are built only from validated names (no `/`, no leading dot), and every directory is
 * opened with O_NOFOLLOW|O_DIRECTORY before it is used, so a symlink planted at `<root>/<name>`
 * (or `_data`) is refused instead of followed. The root and volume dirs are 0701 and root's, so
 * once checked nobody but root can swap them for a link.
 */
export class LocalVolumeDriver {
  constructor(readonly root: string) {}

  volumeDir(name: string): string {
    checkVolumeName(name);
    return join(this.root, name);
  }

  mountpoint(name: string): string {
    return join(this.volumeDir(name), '_data');
  }

  /** Make (or adopt, when a real directory is already there) the volume's directories. */
  async create(name: string): Promise<void> {
    const dir = this.volumeDir(name);
    await this.ensureDir(this.root, ROOT_MODE, 'create', name, true);
    await this.ensureDir(dir, VOLUME_DIR_MODE, 'create', name);
    await this.ensureDir(join(dir, '_data'), DATA_MODE, 'create', name);
  }

  /**
   * Delete the volume's directory. A missing one is fine (already gone); anything at that path
   * that is not a real directory is left alone and refused.
   */
  async remove(name: string): Promise<void> {
    const dir = this.volumeDir(name);
    let st;
    try {
      st = await lstat(dir);
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw new SystemError(`remove ${name}: ${(e as Error).message}`, { cause: e });
    }
    if (!st.isDirectory()) throw new ConflictError(`remove ${name}: ${dir} is not a volume directory`);
    // fs.rm unlinks symlinks found inside instead of following them.
    await rm(dir, { recursive: true, force: true });
  }

  /** Bytes under the volume (dockerd's directory.Size: lstat sizes of non-directories, hard links once). */
  async size(name: string): Promise<number> {
    return directorySize(this.volumeDir(name));
  }

  /**
   * mkdir, then open the result without following links and set the mode through that handle.
   * An existing real directory is adopted (its mode kept, except the root's); a symlink or a
   * file there is a Conflict.
   */
  private async ensureDir(path: string, mode: number, op: string, name: string, always = false): Promise<void> {
    let created = false;
    try {
      await mkdir(path, { mode });
      created = true;
    } catch (e) {
      if (errno(e) !== 'EEXIST') throw new SystemError(`${op} ${name}: mkdir ${path}: ${(e as Error).message}`, { cause: e });
    }
    let fh;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (e) {
      if (errno(e) === 'ELOOP' || errno(e) === 'ENOTDIR') throw new ConflictError(`${op} ${name}: ${path} exists and is not a directory`);
      throw new SystemError(`${op} ${name}: open ${path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      // mkdir's mode went through the umask
      if (created || always) await fh.chmod(mode);
    } finally {
      await fh.close();
    }
  }
}

/**
 * dockerd's directory.Size: lstat sizes of everything under `dir` that is not a directory, each
 * hard-linked inode once; symlinks are counted, never followed. 0 when `dir` is not a directory.
 */
export async function directorySize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch {
      return;
    }
    for (const ent of entries) {
      const p = join(path, ent.name);
      if (ent.isDirectory()) {
        await walk(p);
        continue;
      }
      try {
        const st = await lstat(p);
        if (st.nlink > 1) {
          const key = `${st.dev}:${st.ino}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += st.size;
      } catch {
        // removed while walking
      }
    }
  };
  try {
    if (!(await lstat(dir)).isDirectory()) return 0;
  } catch {
    return 0;
  }
  await walk(dir);
  return total;
}
