import { IpAddr } from '@app/common';
import { startFakeDaemon } from '../testing/fake-daemon';
import { hostGatewayOf } from './host-gateway';

describe('hostGatewayOf', () => {
  it('is the default bridge gateway when --host-gateway-ip is not given', async () => {
    const d = await startFakeDaemon();
    try {
      const bridge = (await d.request('GET', '/networks/bridge')).body;
      expect(hostGatewayOf(d.rt.config, d.rt.store, d.rt.ipam)?.toString()).toBe(bridge.IPAM.Config[0].Gateway);
    } finally {
      await d.close();
    }
  });

  it('is --host-gateway-ip when given, for /etc/hosts and the DNS alike', async () => {
    const d = await startFakeDaemon({ hostGatewayIp: IpAddr.parse('10.99.0.1') });
    try {
      expect(hostGatewayOf(d.rt.config, d.rt.store, d.rt.ipam)?.toString()).toBe('10.99.0.1');
    } finally {
      await d.close();
    }
  });
});
