/** `GET /version`. */
export interface VersionResponse {
  Platform: { Name: string };
  Components: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  Experimental: boolean;
  BuildTime: string;
}

/** One event on `GET /events` (Docker's events.Message, network subset). */
export interface EventMessage {
  Type: 'network';
  Action: 'create' | 'destroy' | 'connect' | 'disconnect';
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}
