#!/bin/sh
# Prepare the busybox build context from Debian's busybox-static:
#   busybox          the static binary (for Dockerfile, whose RUN installs the applet links)
#   rootfs/          the binary plus one symlink per applet (for Dockerfile.norun, no RUN needed)
# Usage: prepare.sh [context-dir]   (default: this directory)
set -eu
src=${BUSYBOX:-/bin/busybox}
out=${1:-$(dirname "$0")}
[ -x "$src" ] || { echo "prepare.sh: $src not found (apt-get install busybox-static)" >&2; exit 1; }
"$src" --help 2>&1 | head -1 | grep -q 'BusyBox' || { echo "prepare.sh: $src is not busybox" >&2; exit 1; }
file -L "$src" 2>/dev/null | grep -q 'dynamically linked' && { echo "prepare.sh: $src is not static (use busybox-static)" >&2; exit 1; }
mkdir -p "$out"
cp "$src" "$out/busybox"
chmod 0755 "$out/busybox"
rm -rf "$out/rootfs"
mkdir -p "$out/rootfs/bin"
cp "$src" "$out/rootfs/bin/busybox"
for applet in $("$src" --list-full); do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$out/rootfs/$(dirname "$applet")"
  ln -sf /bin/busybox "$out/rootfs/$applet"
done
echo "prepared $out (busybox $("$src" | head -1 | cut -d' ' -f2))"
