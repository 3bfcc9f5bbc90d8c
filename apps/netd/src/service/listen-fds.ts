/** The first file descriptor systemd passes (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

export interface ActivatedSocket {
  readonly fd: number;
  /** Its FileDescriptorName= (the socket unit's name by default), from LISTEN_FDNAMES. */
  readonly name: string;
}

let taken: readonly ActivatedSocket[] | undefined;

/**
 * The sockets a service manager passed (sd_listen_fds(3)): LISTEN_FDS descriptors from fd 3 when
 * LISTEN_PID is this process. Read once: the variables are removed from `env` so that processes
 * netd starts do not take the descriptors for theirs.
 */
export function activatedSockets(env: NodeJS.ProcessEnv = process.env, pid = process.pid): readonly ActivatedSocket[] {
  if (taken && env === process.env) return taken;
  const count = Number(env.LISTEN_FDS);
  const forUs = env.LISTEN_PID !== undefined && Number(env.LISTEN_PID) === pid;
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  delete env.LISTEN_FDS;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDNAMES;
  const out: ActivatedSocket[] = [];
  if (forUs && Number.isInteger(count) && count > 0 && count < 1024) {
    for (let i = 0; i < count; i++) out.push({ fd: LISTEN_FDS_START + i, name: names[i] || 'unknown' });
  }
  if (env === process.env) taken = out;
  return out;
}

/**
 * The sockets `fd://SPEC` names (dockerd's syntax): every passed socket for `fd://`, the one
 * with that number for `fd://3`, the ones with that FileDescriptorName for `fd://NAME`.
 */
export function selectActivated(spec: string, sockets: readonly ActivatedSocket[]): readonly ActivatedSocket[] {
  if (sockets.length === 0) throw new Error(`-H fd://${spec}: no sockets were passed by the service manager (LISTEN_FDS); start netd through its netd.socket unit`);
  if (spec === '') return sockets;
  const picked = /^\d+$/.test(spec) ? sockets.filter((s) => s.fd === Number(spec)) : sockets.filter((s) => s.name === spec);
  if (picked.length === 0) throw new Error(`-H fd://${spec}: no such socket among those passed (${sockets.map((s) => `${s.fd}=${s.name}`).join(', ')})`);
  return picked;
}
