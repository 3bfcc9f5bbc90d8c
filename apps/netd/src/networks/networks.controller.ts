import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import {
  ConnectNetworkDto,
  CreateNetworkDto,
  DisconnectNetworkDto,
  NetworkCreateResponse,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
} from '@app/api';
import { NotFoundError, NotImplementedError } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { requestedVersion, versionBelow } from '../http/api-version';
import { parseBody } from '../http/parse-body';
import { queryValue } from '../http/query';
import { networkForVersion } from '../http/versioned-views';
import { EndpointsService } from './endpoints.service';
import type { EndpointConfig } from '@app/api/containers';
import { ContainersService } from '../containers/containers.service';
import { NetworksService } from './networks.service';

@Controller('networks')
export class NetworksController {
  constructor(
    @Inject(NetworksService) private readonly networks: NetworksService,
    @Inject(EndpointsService) private readonly endpoints: EndpointsService,
    @Inject(ContainersService) private readonly containers: ContainersService,
  ) {}

  @Get()
  list(@Query('filters') filters: unknown, @Req() req: FastifyRequest): NetworkSummary[] {
    const v = requestedVersion(req.raw);
    return this.networks.list(queryValue(filters, 'filters')).map((n) => networkForVersion(n, v));
  }

  @Post('create')
  @HttpCode(201)
  create(@Body() body: unknown, @Req() req: FastifyRequest): Promise<NetworkCreateResponse> {
    const dto = parseBody(CreateNetworkDto, body);
    // Accepting these and building an ordinary network would be a config-only network that routes
    if (dto.ConfigOnly) throw new NotImplementedError('config-only networks (ConfigOnly) are not implemented by netd');
    if (dto.ConfigFrom?.Network) throw new NotImplementedError('networks from a config-only network (ConfigFrom) are not implemented by netd');
    return this.networks.create({
      name: dto.Name,
      driver: dto.Driver ?? undefined,
      scope: dto.Scope || undefined,
      internal: dto.Internal ?? undefined,
      attachable: dto.Attachable ?? undefined,
      ingress: dto.Ingress ?? undefined,
      enableIpv4: dto.EnableIPv4 ?? undefined,
      enableIpv6: dto.EnableIPv6 ?? undefined,
      ipam: dto.IPAM
        ? { driver: dto.IPAM.Driver || undefined, options: dto.IPAM.Options, config: dto.IPAM.Config ?? undefined }
        : undefined,
      options: dto.Options,
      labels: dto.Labels,
      // API 1.44 made the check unconditional (CheckDuplicate deprecated)
      allowDuplicateName: versionBelow(req.raw, 1, 44) && dto.CheckDuplicate !== true,
    });
  }

  @Post('prune')
  @HttpCode(200)
  prune(@Query('filters') filters: unknown): Promise<NetworkPruneResponse> {
    return this.networks.prune(queryValue(filters, 'filters'));
  }

  @Get(':id')
  inspect(@Param('id') id: string, @Query('verbose') verbose: unknown, @Query('scope') scope: unknown, @Req() req: FastifyRequest): NetworkInspect {
    queryValue(verbose, 'verbose');
    const s = queryValue(scope, 'scope');
    const n = this.networks.inspect(id);
    if (s && s !== n.Scope) throw new NotFoundError(`network ${id} not found`);
    return networkForVersion(n, requestedVersion(req.raw));
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id') id: string): Promise<void> {
    await this.networks.delete(id);
  }

  @Post(':id/connect')
  @HttpCode(200)
  async connect(@Param('id') id: string, @Body() body: unknown): Promise<void> {
    const dto = parseBody(ConnectNetworkDto, body);
    const ec = dto.EndpointConfig;
    if (await this.containers.connectNetwork(id, dto.Container, ec as EndpointConfig | undefined)) return;
    await this.endpoints.connect(id, {
      container: dto.Container,
      ipv4Address: ec?.IPAMConfig?.IPv4Address || undefined,
      ipv6Address: ec?.IPAMConfig?.IPv6Address || undefined,
      macAddress: ec?.MacAddress || undefined,
      aliases: ec?.Aliases,
    });
  }

  @Post(':id/disconnect')
  @HttpCode(200)
  async disconnect(@Param('id') id: string, @Body() body: unknown): Promise<void> {
    const dto = parseBody(DisconnectNetworkDto, body);
    if (await this.containers.disconnectNetwork(id, dto.Container)) return;
    await this.endpoints.disconnect(id, dto.Container);
  }
}
