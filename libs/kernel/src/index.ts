export * from './netlink.port';
export * from './netns.port';
export * from './firewall.port';
export * from './sysctl.port';
