import { Controller, Get, Inject } from '@nestjs/common';
import type { Services } from '../composition-root';
import { diskUsage } from './disk-usage';
import { SERVICES } from './services.token';

@Controller()
export class DiskUsageController {
  constructor(@Inject(SERVICES) private readonly services: Services) {}

  @Get('system/df')
  df(): Promise<Record<string, unknown>> {
    return diskUsage(this.services);
  }
}
