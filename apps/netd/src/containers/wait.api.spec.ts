import { FakeRuntime } from '@app/container/testing';
import { file, makeImage } from '@app/image/testing/fixtures';
import { FakeFirewall, FakeNetlink, FakeNetns, FakeSysctl } from '@app/kernel/testing';
import { eventually } from '@app/common/testing';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULTS } from '../config/netd-config';
import { closeListeners, openListeners, type OpenListener } from '../http/listeners';
import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon';

/** POST /containers/{id}/wait over a real socket: what a client that hangs up leaves behind. */
describe('POST /containers/{id}/wait', () => {
  let d: FakeDaemon;
  let runtime: FakeRuntime;
  let listeners: OpenListener[];
  let path: string;

  beforeEach(async () => {
    const netlink = new FakeNetlink();
    runtime = new FakeRuntime();
    const kernel = { netlink, netns: new FakeNetns(netlink), firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink), containerRuntime: runtime };
    d = await startFakeDaemon({}, { kernel, dataRoot: mkdtempSync(join(tmpdir(), 'netd-wait-')) });
    const img = await makeImage(d.rt.images.images.store, [[file('bin/sleep', '#!')]], { cmd: ['sleep', '1000'] });
    await d.rt.images.images.store.setTag('docker.io/library/busybox:latest', img.manifestDigest);
    path = join(d.dataRoot, 'api.sock');
    listeners = await openListeners({ ...DEFAULTS, hosts: [{ kind: 'unix', path }] }, d.app.getHttpAdapter().getInstance().server as Server, pino({ level: 'silent' }));
  });

  afterEach(async () => {
    await closeListeners(listeners, 300);
    await d.close();
  });

  /** Send the wait, read its header (sent at once, as dockerd does), then hang up. */
  const waitAndHangUp = (id: string, condition: string) =>
    new Promise<void>((resolve) => {
      const s = connect(path);
      s.on('error', () => undefined);
      s.once('data', () => {
        s.destroy();
        resolve();
      });
      s.write(`POST /containers/${id}/wait?condition=${condition} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    });

  it('stops listening for the exit of a client that went away (a client looping wait-and-hang-up piles nothing up)', async () => {
    const { body } = await d.request('POST', '/containers/create?name=w1', { Image: 'busybox' });
    const id = (body as { Id: string }).Id;
    expect((await d.request('POST', `/containers/${id}/start`)).status).toBe(204);
    for (let i = 0; i < 20; i++) await waitAndHangUp(id, i % 2 ? 'removed' : 'not-running');
    await eventually('no wait left listening', () => d.rt.containerManager.waiting === 0);
  });
});
