import { libcCalls } from '@app/kernel';
import koffi from 'koffi';

/**
 * systemd's notification protocol (sd_notify(3)): datagrams such as `READY=1` to the AF_UNIX
 * socket named by $NOTIFY_SOCKET. Node's dgram speaks only UDP, so the socket is made and written
 * with libc's socket/sendto through koffi, which netd already loads for setns and mount; no helper
 * process per message, and no C addon to build. A path starting with `@` is in the abstract
 * namespace.
 */
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(sockaddr_un.sun_path) */
const SUN_PATH = 108;

interface Calls {
  socket: (domain: number, type: number, protocol: number) => number;
  sendto: (fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, addrLen: number) => number;
  close: (fd: number) => number;
}

const load = libcCalls<Calls>({
  socket: 'int socket(int domain, int type, int protocol)',
  sendto: 'long sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)',
  close: 'int close(int fd)',
});

/** struct sockaddr_un for a path (`@name`: abstract) and its length. */
export function sockaddrUn(path: string): { addr: Buffer; len: number } {
  const abstract = path.startsWith('@');
  const name = Buffer.from(abstract ? path.slice(1) : path);
  if (name.length === 0 || name.length + (abstract ? 1 : 0) >= SUN_PATH) throw new Error(`invalid NOTIFY_SOCKET ${JSON.stringify(path)}`);
  const addr = Buffer.alloc(2 + SUN_PATH);
  addr.writeUInt16LE(AF_UNIX, 0);
  name.copy(addr, abstract ? 3 : 2);
  // abstract names are exactly as long as given; a path carries its NUL
  return { addr, len: 2 + (abstract ? 1 : 0) + name.length + (abstract ? 0 : 1) };
}

export interface Notifier {
  /** Send one state message (`READY=1`, `STOPPING=1`, `STATUS=…`); false when it could not be sent. */
  notify(state: string): boolean;
  /** Ping the watchdog every half of WatchdogSec, if the service has one. */
  startWatchdog(): void;
  close(): void;
}

export interface ServiceEnv {
  NOTIFY_SOCKET?: string;
  WATCHDOG_USEC?: string;
  WATCHDOG_PID?: string;
}

/**
 * A notifier from the environment systemd gives a `Type=notify` service, or undefined when there
 * is none (started by hand). The variables are removed from `env` (sd_notify's
 * unset_environment), so the DNS resolver process and containers, which netd starts, do not
 * inherit them and talk to systemd as if they were netd.
 */
export function notifierFromEnv(env: ServiceEnv & NodeJS.ProcessEnv = process.env, pid = process.pid): Notifier | undefined {
  const path = env.NOTIFY_SOCKET;
  const watchdogUsec = Number(env.WATCHDOG_USEC);
  const watchdogPid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!path) return undefined;
  const { addr, len } = sockaddrUn(path);
  const c = load();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM) failed: errno ${koffi.errno()}`);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const notify = (state: string): boolean => {
    if (closed) return false;
    const msg = Buffer.from(state);
    return c.sendto(fd, msg, msg.length, MSG_NOSIGNAL, addr, len) === msg.length;
  };
  return {
    notify,
    startWatchdog() {
      const forUs = watchdogPid === undefined || Number(watchdogPid) === pid;
      if (timer || !forUs || !Number.isFinite(watchdogUsec) || watchdogUsec <= 0) return;
      notify('WATCHDOG=1');
      // the timer runs on the event loop: a loop stuck for WatchdogSec is what systemd should restart
      timer = setInterval(() => notify('WATCHDOG=1'), Math.max(1, Math.floor(watchdogUsec / 2000))).unref();
    },
    close() {
      clearInterval(timer);
      if (!closed) c.close(fd);
      closed = true;
    },
  };
}
