// libs/image may not import @app/kernel (STYLE.md §1), so it cannot use kernel's describeAsRoot;
// this is the same rule for the one capability image tests need (mknod for whiteouts, xattrs).
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs `fn` as a suite when root; otherwise fails under CI=true and skips loudly elsewhere. */
export function describeAsRoot(name: string, fn: () => void): void {
  if (isRoot) return describe(name, fn);
  if (process.env.CI === 'true') {
    return describe(name, () => {
      it('requires root (mknod, trusted.* xattrs)', () => {
        throw new Error(`${name}: requires root (mknod, trusted.* xattrs), but runs as uid ${process.getuid?.()}`);
      });
    });
  }
  process.stderr.write(`SKIPPED ${name}: requires root (mknod, trusted.* xattrs)\n`);
  describe.skip(name, fn);
}
