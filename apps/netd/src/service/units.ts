import { DEFAULT_SOCKET } from '../config/netd-config';

export interface UnitOptions {
  /** The node binary (absolute). */
  node: string;
  /** netd's main script (absolute). */
  script: string;
  /** Where netd.socket listens; default /run/netd/netd.sock. */
  socket?: string;
  /** More netd flags for ExecStart (each one argument). */
  args?: readonly string[];
}

/** systemd's quoting of one ExecStart argument. */
function quote(arg: string): string {
  if (/^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$').replace(/%/g, '%%')}"`;
}

/**
 * netd.service. The choices, each against what would go wrong otherwise:
 * - Type=notify: systemd orders dependents after READY=1, sent once the API listens.
 * - KillMode=process: a stop or restart ends netd only; containers (runc + conmon) and the DNS
 *   resolver process live in the same cgroup and would be killed with the default control-group.
 * - Delegate=yes: netd makes the containers' cgroups below its own; without delegation systemd
 *   may move or remove them.
 * - ExecReload sends SIGHUP: netd re-reads daemon.json and applies what can change live.
 * - LimitNOFILE: every container, stream and netns holds descriptors; the soft limit 1024 runs out.
 * - WatchdogSec: the event loop pings every half of it; a loop stuck that long gets a restart.
 * - TimeoutStopSec above netd's own 15 s shutdown deadline.
 */
export function serviceUnit(o: UnitOptions): string {
  const exec = [o.node, o.script, '-H', 'fd://', ...(o.args ?? [])].map(quote).join(' ');
  return `[Unit]
Description=netd container networking daemon (Docker Engine API)
After=network-online.target netd.socket
Wants=network-online.target
Requires=netd.socket

[Service]
Type=notify
NotifyAccess=main
ExecStart=${exec}
ExecReload=/bin/kill -HUP $MAINPID
KillMode=process
Delegate=yes
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-500
TimeoutStartSec=120
TimeoutStopSec=30
WatchdogSec=60
Restart=always
RestartSec=2
StartLimitBurst=3

[Install]
WantedBy=multi-user.target
`;
}

/** netd.socket: systemd owns /run/netd/netd.sock, so clients can connect while netd (re)starts. */
export function socketUnit(o: Pick<UnitOptions, 'socket'> = {}): string {
  return `[Unit]
Description=netd API socket
PartOf=netd.service

[Socket]
ListenStream=${o.socket ?? DEFAULT_SOCKET}
SocketMode=0660
SocketUser=root
SocketGroup=root
DirectoryMode=0750

[Install]
WantedBy=sockets.target
`;
}
