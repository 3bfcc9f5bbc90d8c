declare const NETCTL_VERSION: string | undefined;

/** Set by the bundle (build.mjs defines NETCTL_VERSION from package.json); "dev" when run from source. */
export const VERSION: string = typeof NETCTL_VERSION === 'string' ? NETCTL_VERSION : '0.0.0-dev';
