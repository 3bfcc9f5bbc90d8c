import { UsageError } from '../../client/errors';
import type { ClusterInitRequest } from './cluster-api';
import type { ClusterInitOptions } from './cluster.commands';

/** Flags → request, checked before anything is sent (the daemon checks the address itself). */
export function addressRequest(opts: ClusterInitOptions): ClusterInitRequest {
  if (!opts.advertiseAddr) throw new UsageError('--advertise-addr is required: the address other nodes reach this one at');
  const req: ClusterInitRequest = { AdvertiseAddr: opts.advertiseAddr };
  if (opts.listenPort !== undefined) {
    const port = /^\d{1,5}$/.test(opts.listenPort) ? Number(opts.listenPort) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new UsageError(`invalid argument "${opts.listenPort}" for "--listen-port" flag: must be a port between 1 and 65535`);
    req.ListenPort = port;
  }
  if (opts.name !== undefined) req.Name = opts.name;
  return req;
}
