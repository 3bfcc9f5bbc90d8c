import { DynamicModule, Module } from '@nestjs/common';
import { ClusterController } from './cluster/cluster.controller';
import { ClusterService } from './cluster/cluster.service';
import type { Services } from './composition-root';
import { EventsController } from './events/events.controller';
import { DnsService } from './dns/dns.service';
import { EventsService } from './events/events.service';
import { EndpointsService } from './networks/endpoints.service';
import { NetworksController } from './networks/networks.controller';
import { NetworksService } from './networks/networks.service';
import { SandboxesService } from './sandboxes/sandboxes.service';
import { SwarmController, SystemController } from './system/system.controller';
import { SERVICES } from './system/services.token';
import { DiskUsageController } from './system/disk-usage.controller';
import { ContainersController } from './containers/containers.controller';
import { ContainersService } from './containers/containers.service';
import { ContainerViews } from './containers/container-views.service';
import { ContainerOps } from './containers/container-ops';
import { ContainerOpsController } from './containers/container-ops.controller';
import { ContainerStats } from './containers/stats';
import { ContainerArchive } from './containers/archive';
import { ImagesModule } from './images/images.module';
import { VolumesController } from './volumes/volumes.controller';
import { VolumesService } from './volumes/volumes.service';

/** Nest only routes: the services are built framework-free in composition-root.ts and registered here as they are. */
@Module({})
export class AppModule {
  static register(services: Services): DynamicModule {
    return {
      module: AppModule,
      imports: [ImagesModule.register(services.images)],
      controllers: [ContainersController, ContainerOpsController, SystemController, NetworksController, EventsController, SwarmController, ClusterController, VolumesController, DiskUsageController],
      providers: [
        { provide: SERVICES, useValue: services },
        { provide: NetworksService, useValue: services.networks },
        { provide: EndpointsService, useValue: services.endpoints },
        { provide: SandboxesService, useValue: services.sandboxes },
        { provide: EventsService, useValue: services.events },
        { provide: ContainersService, useValue: services.containers },
        { provide: ContainerViews, useValue: services.containerViews },
        { provide: ContainerOps, useValue: services.containerOps },
        { provide: ContainerStats, useValue: services.containerStats },
        { provide: ContainerArchive, useValue: services.containerArchive },
        { provide: VolumesService, useValue: services.volumes },
        { provide: ClusterService, useValue: services.cluster },
        // Nest runs its lifecycle hooks: DNS starts after reconciliation and closes at shutdown.
        { provide: DnsService, useValue: services.dns },
      ],
    };
  }
}
