import type { VersionResponse } from '@app/api';
import type { InfoResponse, NetdApi } from '../client/netd-api';
import { FakeVolumes } from './fake-volumes';

/**
 * An in-memory daemon: FakeNetworks, FakeVolumes, FakeContainers (+ FakeContainerIo), FakeImages on a shared
 * FakeDaemonState, with version and info here. Records every request for assertions. The contract
 * suites (netd-api.contract.ts, engine-api.contract.ts) run against this and against a real netd.
 */
export class FakeNetdClient extends FakeVolumes implements NetdApi {
  constructor(opts: { predefined?: boolean } = {}) {
    super();
    if (opts.predefined !== false) {
      this.add({ Name: 'bridge', Driver: 'bridge', Config: [{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }] });
      this.add({ Name: 'host', Driver: 'host' });
      this.add({ Name: 'none', Driver: 'null' });
    }
  }

  async version(): Promise<VersionResponse> {
    this.requests.push({ method: 'version' });
    return {
      Platform: { Name: 'netd' },
      Components: [{ Name: 'Engine', Version: '0.1.0' }],
      Version: '0.1.0',
      ApiVersion: '1.47',
      MinAPIVersion: '1.24',
      GitCommit: 'fake',
      GoVersion: 'node',
      Os: 'linux',
      Arch: 'x64',
      KernelVersion: '6.0.0',
      Experimental: false,
      BuildTime: '2026-01-01T00:00:00Z',
    };
  }

  async info(): Promise<InfoResponse> {
    this.requests.push({ method: 'info' });
    return { ID: 'fake', Name: 'fakehost', ServerVersion: '0.1.0', Networks: this.networks.length, Plugins: { Network: ['bridge', 'host', 'null'] } };
  }
}
