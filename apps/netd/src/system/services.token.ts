/** Nest's token for the daemon's whole Services (composition-root.ts), for controllers that read several of them. */
export const SERVICES = Symbol('Services');
