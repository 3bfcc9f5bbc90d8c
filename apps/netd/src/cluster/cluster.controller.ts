import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { InvalidParameterError } from '@app/common';
import { ClusterService } from './cluster.service';

/**
 * netd's own cluster API (Docker has no equivalent without swarm), under `/netd/cluster`:
 *   GET    /netd/cluster                 → status: membership, join token, nodes (state, last seen)
 *   POST   /netd/cluster/init            {AdvertiseAddr, ListenPort?, Name?} → {Token, NodeID}
 *   POST   /netd/cluster/join            {Token, AdvertiseAddr, ListenPort?, Name?, Bootstrap?} → {NodeID}
 *   POST   /netd/cluster/leave
 *   POST   /netd/cluster/networks        {Name, Subnet, Gateway?, BlockLength?, Internal?, Attachable?} → {Id}
 *   DELETE /netd/cluster/networks/:id    (Conflict while any node has endpoints on it)
 */
@Controller('netd/cluster')
export class ClusterController {
  constructor(@Inject(ClusterService) private readonly clusterService: ClusterService) {}

  @Get()
  status() {
    return this.clusterService.status();
  }

  @Post('init')
  async init(@Body() body: unknown) {
    const b = object(body);
    const r = await this.clusterService.init({ advertiseAddr: str(b, 'AdvertiseAddr'), listenPort: port(b), name: optStr(b, 'Name') });
    return { Token: r.token, NodeID: r.nodeId };
  }

  @Post('join')
  async join(@Body() body: unknown) {
    const b = object(body);
    const bootstrap = b.Bootstrap === undefined ? undefined : strings(b.Bootstrap, 'Bootstrap');
    const r = await this.clusterService.join({ token: str(b, 'Token'), advertiseAddr: str(b, 'AdvertiseAddr'), listenPort: port(b), name: optStr(b, 'Name'), bootstrap });
    return { NodeID: r.nodeId };
  }

  @Post('leave')
  @HttpCode(200)
  async leave(): Promise<void> {
    await this.clusterService.leave();
  }

  @Post('networks')
  @HttpCode(201)
  createNetwork(@Body() body: unknown) {
    const b = object(body);
    const blockLength = b.BlockLength === undefined ? undefined : int(b.BlockLength, 'BlockLength', 1, 30);
    return this.clusterService.createNetwork({
      name: str(b, 'Name'),
      subnet: str(b, 'Subnet'),
      gateway: optStr(b, 'Gateway'),
      blockLength,
      internal: optBool(b, 'Internal'),
      attachable: optBool(b, 'Attachable'),
    });
  }

  @Delete('networks/:id')
  @HttpCode(204)
  deleteNetwork(@Param('id') id: string): void {
    this.clusterService.deleteNetwork(id);
  }
}

function object(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidParameterError('request body must be a JSON object');
  return body as Record<string, unknown>;
}

function str(b: Record<string, unknown>, key: string): string {
  const v = b[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > 8192) throw new InvalidParameterError(`${key} must be a non-empty string`);
  return v;
}

function optStr(b: Record<string, unknown>, key: string): string | undefined {
  return b[key] === undefined || b[key] === '' ? undefined : str(b, key);
}

function optBool(b: Record<string, unknown>, key: string): boolean | undefined {
  const v = b[key];
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidParameterError(`${key} must be a boolean`);
  return v as boolean | undefined;
}

function int(v: unknown, key: string, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) throw new InvalidParameterError(`${key} must be an integer between ${min} and ${max}`);
  return v as number;
}

function port(b: Record<string, unknown>): number | undefined {
  return b.ListenPort === undefined || b.ListenPort === 0 ? undefined : int(b.ListenPort, 'ListenPort', 1, 65535);
}

function strings(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || v.length > 64 || !v.every((s) => typeof s === 'string')) throw new InvalidParameterError(`${key} must be a list of ip:port strings`);
  return v as string[];
}
