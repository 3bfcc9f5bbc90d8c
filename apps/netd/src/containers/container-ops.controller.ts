import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { InvalidParameterError } from '@app/common';
import { ContainerOps } from './container-ops';

type Q = Record<string, unknown>;

function one(q: Q, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new InvalidParameterError(`query parameter ${name} must be given once`);
}

@Controller()
export class ContainerOpsController {
  constructor(@Inject(ContainerOps) private readonly ops: ContainerOps) {}

  @Post('containers/prune')
  @HttpCode(200)
  prune(@Query() q: Q) {
    return this.ops.prune(one(q, 'filters'));
  }

  @Post('containers/:id/rename')
  @HttpCode(204)
  async rename(@Param('id') id: string, @Query() q: Q) {
    await this.ops.rename(id, one(q, 'name') ?? '');
  }

  @Post('containers/:id/pause')
  @HttpCode(204)
  async pause(@Param('id') id: string) {
    await this.ops.pause(id);
  }

  @Post('containers/:id/unpause')
  @HttpCode(204)
  async unpause(@Param('id') id: string) {
    await this.ops.unpause(id);
  }

  @Post('containers/:id/update')
  @HttpCode(200)
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.ops.update(id, body);
  }

  @Get('containers/:id/top')
  top(@Param('id') id: string, @Query() q: Q) {
    return this.ops.top(id, one(q, 'ps_args'));
  }
}
