import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { CreateVolumeDto, type VolumeListResponse, type VolumePruneResponse, type VolumeResponse } from '@app/api';
import { InvalidParameterError, NotImplementedError } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { versionBelow } from '../http/api-version';
import { parseBody } from '../http/parse-body';
import { queryValue } from '../http/query';
import { VolumesService } from './volumes.service';

const MAX_MAP_TEXT = 4096;

/**
 * Labels and DriverOpts are read from the raw JSON, not through class-transformer, which drops
 * a `__proto__` key and throws on a `constructor` key; both are valid label names in Docker.
 * Own properties only, copied with defineProperty so no key reaches a prototype.
 */
function stringMap(body: Record<string, unknown>, field: string): Record<string, string> | null | undefined {
  const value = body[field];
  if (value === undefined || value === null) return value;
  const bad = () => new InvalidParameterError(`${field} must be an object of strings`);
  if (typeof value !== 'object' || Array.isArray(value)) throw bad();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' || k.length > MAX_MAP_TEXT || v.length > MAX_MAP_TEXT) throw bad();
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** dockerd's httputils.BoolValue: anything but "", "0", "no", "false", "none" is true. */
const boolValue = (v: string | undefined) => v !== undefined && !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());

@Controller('volumes')
export class VolumesController {
  constructor(@Inject(VolumesService) private readonly volumes: VolumesService) {}

  @Get()
  list(@Query('filters') filters: unknown): VolumeListResponse {
    return this.volumes.list(queryValue(filters, 'filters'));
  }

  @Post('create')
  @HttpCode(201)
  create(@Body() body: unknown): Promise<VolumeResponse> {
    const raw = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    const labels = raw && stringMap(raw, 'Labels');
    const options = raw && stringMap(raw, 'DriverOpts');
    const dto = parseBody(CreateVolumeDto, raw ? { ...raw, Labels: undefined, DriverOpts: undefined } : body);
    if (dto.ClusterVolumeSpec) throw new NotImplementedError('cluster volumes are not supported: netd has no swarm');
    return this.volumes.create({ name: dto.Name ?? undefined, driver: dto.Driver ?? undefined, labels, options });
  }

  @Post('prune')
  @HttpCode(200)
  prune(@Query('filters') filters: unknown, @Req() req: FastifyRequest): Promise<VolumePruneResponse> {
    return this.volumes.prune(queryValue(filters, 'filters'), versionBelow(req.raw, 1, 42));
  }

  @Get(':name')
  inspect(@Param('name') name: string): VolumeResponse {
    return this.volumes.inspect(name);
  }

  @Delete(':name')
  @HttpCode(204)
  async remove(@Param('name') name: string, @Query('force') force: unknown): Promise<void> {
    await this.volumes.remove(name, boolValue(queryValue(force, 'force')));
  }
}
