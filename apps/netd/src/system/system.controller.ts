import { All, Controller, Get, Header, Inject } from '@nestjs/common';
import type { VersionResponse } from '@app/api';
import { UnavailableError } from '@app/common';
import { detectCgroupMode } from '@app/container';
import { cpus, hostname, release, totalmem } from 'node:os';
import { API_VERSION, MIN_API_VERSION } from '../http/api-version';
import type { Services } from '../composition-root';
import { SERVICES } from './services.token';
import { buildInfo } from '../version';

export const NETD_VERSION = buildInfo().version;

const NOT_A_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

@Controller()
export class SystemController {
  constructor(@Inject(SERVICES) private readonly services: Services) {}

  @Get('_ping')
  @Header('Cache-Control', 'no-cache, no-store, must-revalidate')
  @Header('Pragma', 'no-cache')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  ping(): string {
    return 'OK';
  }

  @Get('version')
  version(): VersionResponse {
    return {
      Platform: { Name: 'netd' },
      Components: [{ Name: 'netd', Version: NETD_VERSION, Details: { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION } }],
      Version: NETD_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: buildInfo().commit,
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      KernelVersion: release(),
      Experimental: false,
      BuildTime: buildInfo().built,
    };
  }

  @Get('info')
  async info(): Promise<Record<string, unknown>> {
    const { config, store } = this.services;
    const networks = store.listNetworks();
    const containers = this.services.containers.list();
    const running = containers.filter((c) => c.state.status === 'running' || c.state.status === 'restarting').length;
    const paused = containers.filter((c) => c.state.status === 'paused').length;
    return {
      ID: this.services.engineId,
      Name: hostname(),
      Containers: containers.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: containers.length - running - paused,
      Images: (await this.services.images.list()).length,
      Driver: 'overlay2',
      CgroupDriver: 'cgroupfs',
      DefaultRuntime: 'runc',
      Runtimes: { runc: { path: 'runc' } },
      Plugins: { Volume: ['local'], Network: this.services.drivers.names(), Authorization: null, Log: [] },
      MemoryLimit: false,
      SwapLimit: false,
      Debug: config.logLevel === 'debug' || config.logLevel === 'trace',
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'k8s-file',
      KernelVersion: release(),
      OperatingSystem: 'netd',
      OSType: 'linux',
      Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
      NCPU: cpus().length,
      MemTotal: totalmem(),
      DockerRootDir: config.dataRoot,
      ServerVersion: NETD_VERSION,
      ExperimentalBuild: false,
      Labels: [],
      Networks: networks.length,
      DefaultAddressPools: config.defaultAddressPools.map((p) => ({ Base: p.base.toString(), Size: p.size })),
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      CgroupVersion: detectCgroupMode() === 'v2' ? '2' : '1',
      // containers outlive a netd restart (conmon keeps them), which is what dockerd's live-restore does
      LiveRestoreEnabled: true,
      RegistryConfig: {
        InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128', ...config.insecureRegistries.filter((r) => r.includes('/'))],
        IndexConfigs: Object.fromEntries(config.insecureRegistries.filter((r) => !r.includes('/')).map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }])),
      },
      Warnings: [],
    };
  }
}

/** dockerd without swarm answers these with 503; clients read that as "no swarm" (404 breaks them). */
@Controller()
export class SwarmController {
  @All('swarm/leave')
  leave(): never {
    throw new UnavailableError('This node is not part of a swarm');
  }

  @All(['swarm', 'swarm/*', 'nodes', 'nodes/*', 'services', 'services/*', 'tasks', 'tasks/*', 'secrets', 'secrets/*', 'configs', 'configs/*'])
  notManager(): never {
    throw new UnavailableError(NOT_A_MANAGER);
  }
}
