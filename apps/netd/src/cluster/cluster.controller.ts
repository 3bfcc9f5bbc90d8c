import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ClusterInitDto, ClusterJoinDto, ClusterNetworkCreateDto } from '@app/api';
import { parseBody } from '../http/parse-body';
import { ClusterService } from './cluster.service';

/**
 * netd's own cluster API (Docker has no equivalent without swarm), under `/netd/cluster`:
 *   GET    /netd/cluster                 → status: membership, join token, nodes (state, last seen)
 *   POST   /netd/cluster/init            {AdvertiseAddr, ListenPort?, Name?} → {Token, NodeID}
 *   POST   /netd/cluster/join            {Token, AdvertiseAddr, ListenPort?, Name?, Bootstrap?} → {NodeID}
 *   POST   /netd/cluster/leave
 *   DELETE /netd/cluster/nodes/:node       revoke a node (id, id prefix or name) → {ID}
 *   POST   /netd/cluster/rotate-key     new cluster key, sealed to every member → {Token, ClusterKeyFingerprint, ClusterKeyEpoch}
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
    const b = parseBody(ClusterInitDto, body);
    const r = await this.clusterService.init({ advertiseAddr: b.AdvertiseAddr, listenPort: b.ListenPort || undefined, name: b.Name || undefined });
    return { Token: r.token, NodeID: r.nodeId };
  }

  @Post('join')
  async join(@Body() body: unknown) {
    const b = parseBody(ClusterJoinDto, body);
    const r = await this.clusterService.join({
      token: b.Token, advertiseAddr: b.AdvertiseAddr, listenPort: b.ListenPort || undefined, name: b.Name || undefined, bootstrap: b.Bootstrap ?? undefined,
    });
    return { NodeID: r.nodeId };
  }

  @Post('leave')
  @HttpCode(200)
  async leave(): Promise<void> {
    await this.clusterService.leave();
  }

  @Post('rotate-key')
  @HttpCode(201)
  rotateKey() {
    return this.clusterService.rotateKey();
  }

  @Delete('nodes/:node')
  @HttpCode(200)
  removeNode(@Param('node') node: string) {
    return this.clusterService.removeNode(node);
  }

  @Post('networks')
  @HttpCode(201)
  createNetwork(@Body() body: unknown) {
    const b = parseBody(ClusterNetworkCreateDto, body);
    return this.clusterService.createNetwork({
      name: b.Name,
      subnet: b.Subnet,
      gateway: b.Gateway || undefined,
      blockLength: b.BlockLength ?? undefined,
      internal: b.Internal ?? undefined,
      attachable: b.Attachable ?? undefined,
    });
  }

  @Delete('networks/:id')
  @HttpCode(204)
  deleteNetwork(@Param('id') id: string): void {
    this.clusterService.deleteNetwork(id);
  }
}
