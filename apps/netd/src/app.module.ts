import { DynamicModule, Module } from '@nestjs/common';
import { EventsController } from './events/events.controller';
import { EventsService } from './events/events.service';
import { EndpointsService } from './networks/endpoints.service';
import { NetworksController } from './networks/networks.controller';
import { NetworksService } from './networks/networks.service';
import type { Runtime } from './runtime';
import { SandboxesService } from './sandboxes/sandboxes.service';
import { SwarmController, SystemController } from './system/system.controller';
import { RUNTIME } from './system/runtime.token';

/** Nest only routes: the services are built framework-free in runtime.ts and handed in. */
@Module({})
export class AppModule {
  static register(rt: Runtime): DynamicModule {
    return {
      module: AppModule,
      controllers: [SystemController, NetworksController, EventsController, SwarmController],
      providers: [
        { provide: RUNTIME, useValue: rt },
        { provide: NetworksService, useValue: rt.networks },
        { provide: EndpointsService, useValue: rt.endpoints },
        { provide: SandboxesService, useValue: rt.sandboxes },
        { provide: EventsService, useValue: rt.events },
      ],
    };
  }
}
