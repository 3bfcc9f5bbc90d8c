declare const NETCTL_VERSION: string | undefined;
declare const NETCTL_COMMIT: string | undefined;

/** Set by the bundle (build.mjs defines NETCTL_VERSION from package.json); "dev" when run from source. */
export const VERSION: string = typeof NETCTL_VERSION === 'string' ? NETCTL_VERSION : '0.0.0-dev';
/** The git commit the bundle was built from (build.mjs reads dist/build-info.json); "unknown" from source. */
export const COMMIT: string = typeof NETCTL_COMMIT === 'string' ? NETCTL_COMMIT : 'unknown';
