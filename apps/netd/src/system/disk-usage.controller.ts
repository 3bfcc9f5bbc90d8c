import { Controller, Get, Inject, Query } from '@nestjs/common';
import type { QueryParams } from '../http/query';
import type { Services } from '../composition-root';
import { diskUsage, parseDiskUsageTypes } from './disk-usage';
import { SERVICES } from './services.token';

@Controller()
export class DiskUsageController {
  constructor(@Inject(SERVICES) private readonly services: Services) {}

  @Get('system/df')
  df(@Query() q: QueryParams): Promise<Record<string, unknown>> {
    // `type` may repeat (type=image&type=volume): the parser gives a list then
    return diskUsage(this.services, parseDiskUsageTypes(([] as unknown[]).concat(q.type ?? []).map(String)));
  }
}
