import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { OPAQUE_WHITEOUT, WHITEOUT_PREFIX } from './layer-tar';
import { packLayer, type LayerFile, type PackedLayer } from './layer-writer';
import { lgetxattr } from './native-fs';
import { OVERLAY_OPAQUE_XATTR } from './unpack-dir';

/**
 * The entries of an OCI layer for what an overlayfs upper directory holds: the files a container
 * wrote, with overlay whiteouts (0/0 character devices) turned into `.wh.<name>` entries and
 * opaque directories (trusted.overlay.opaque=y) into a `.wh..wh..opq` entry after the directory.
 * Directories come before their contents; a file with several links is stored once, then as
 * hard links. Sockets are skipped, as Docker does.
 */
export async function overlayUpperEntries(upper: string): Promise<LayerFile[]> {
  const out: LayerFile[] = [];
  const inodes = new Map<string, string>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const abs = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      const common = { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: st.mtime };
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ path: rel ? `${rel}/${WHITEOUT_PREFIX}${name}` : `${WHITEOUT_PREFIX}${name}`, type: 'file', mode: 0o644, data: new Uint8Array() });
      } else if (st.isDirectory()) {
        out.push({ path, type: 'directory', ...common });
        if (lgetxattr(abs, OVERLAY_OPAQUE_XATTR) === 'y') {
          out.push({ path: `${path}/${OPAQUE_WHITEOUT}`, type: 'file', mode: 0o644, data: new Uint8Array() });
        }
        await walk(abs, path);
      } else if (st.isSymbolicLink()) {
        out.push({ path, type: 'symlink', linkname: await readlink(abs), ...common });
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first) out.push({ path, type: 'link', linkname: first, ...common });
        else {
          if (st.nlink > 1) inodes.set(key, path);
          out.push({ path, type: 'file', data: { fromFile: abs, size: st.size }, ...common });
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const major = Math.floor(st.rdev / 256) & 0xfff;
        const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
        out.push({ path, type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major, devminor: minor, ...common });
      } else if (st.isFIFO()) {
        out.push({ path, type: 'fifo', ...common });
      }
    }
  };
  await walk(upper, '');
  return out;
}

/** An overlay upper directory as a packed OCI layer (tar, diff id, gzip). */
export async function packOverlayUpper(upper: string): Promise<PackedLayer> {
  return packLayer(await overlayUpperEntries(upper));
}
