import { DynamicModule, Module } from '@nestjs/common';
import { ClusterController } from './cluster/cluster.controller';
import { EventsController } from './events/events.controller';
import { DnsService } from './dns/dns.service';
import { EventsService } from './events/events.service';
import { EndpointsService } from './networks/endpoints.service';
import { NetworksController } from './networks/networks.controller';
import { NetworksService } from './networks/networks.service';
import type { Runtime } from './runtime';
import { SandboxesService } from './sandboxes/sandboxes.service';
import { SwarmController, SystemController } from './system/system.controller';
import { RUNTIME } from './system/runtime.token';
import { ContainersController } from './containers/containers.controller';
import { ContainersService } from './containers/containers.service';
import { ContainerViews } from './containers/container-views.service';
import { ImagesModule } from './images/images.module';
import { VolumesController } from './volumes/volumes.controller';
import { VolumesService } from './volumes/volumes.service';

/** Nest only routes: the services are built framework-free in runtime.ts and handed in. */
@Module({})
export class AppModule {
  static register(rt: Runtime): DynamicModule {
    return {
      module: AppModule,
      imports: [ImagesModule.register(rt.images)],
      controllers: [ContainersController, SystemController, NetworksController, EventsController, SwarmController, ClusterController, VolumesController],
      providers: [
        { provide: RUNTIME, useValue: rt },
        { provide: NetworksService, useValue: rt.networks },
        { provide: EndpointsService, useValue: rt.endpoints },
        { provide: SandboxesService, useValue: rt.sandboxes },
        { provide: EventsService, useValue: rt.events },
        { provide: ContainersService, useValue: rt.containers },
        { provide: ContainerViews, useValue: rt.containerViews },
        { provide: VolumesService, useValue: rt.volumes },
        // Nest runs its lifecycle hooks: DNS starts after reconciliation and closes at shutdown.
        ...(rt.dns ? [{ provide: DnsService, useValue: rt.dns }] : []),
      ],
    };
  }
}
