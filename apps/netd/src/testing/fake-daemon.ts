import { FakeFirewall, FakeNetlink, FakeNetns, FakeSysctl } from '@app/kernel/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULTS, NetdConfig } from '../config/netd-config';
import { composeServices, type KernelPorts, type Services } from '../composition-root';
import { createApp } from '../http/create-app';
import { reconcile } from '../lifecycle/reconciler';

export interface FakeDaemon {
  rt: Services;
  app: NestFastifyApplication;
  netlink: FakeNetlink;
  netns: FakeNetns;
  hostNs: { path: string };
  dataRoot: string;
  /** fastify inject shortcut returning status + parsed JSON body. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON of any endpoint
  request(method: string, url: string, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  restart(): Promise<FakeDaemon>;
  close(): Promise<void>;
}

/** The whole daemon (real services, SQLite, IPAM, drivers) on the fake kernel, served in-process. */
export async function startFakeDaemon(
  overrides: Partial<NetdConfig> = {},
  reuse?: { kernel: KernelPorts & { netlink: FakeNetlink; netns: FakeNetns }; dataRoot: string },
  prepare?: (netlink: FakeNetlink, hostNs: { path: string }) => Promise<void>,
): Promise<FakeDaemon> {
  const dataRoot = reuse?.dataRoot ?? mkdtempSync(join(tmpdir(), 'netd-unit-'));
  const netlink = reuse?.kernel.netlink ?? new FakeNetlink();
  const hostNs = netlink.addNamespace('/run/netns/fake-host');
  const kernel = reuse?.kernel ?? { netlink, netns: new FakeNetns(netlink), firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink) };
  await prepare?.(netlink, hostNs);
  // exec root under the test's own directory: runc creates its --root on any call, so the default
  // (/run/netd) must never be reached from a test
  const config: NetdConfig = { ...DEFAULTS, dataRoot, execRoot: join(dataRoot, 'run'), hostNetns: hostNs.path, ...overrides };
  const log = pino({ level: 'silent' });
  const rt = composeServices(config, kernel, log);
  await reconcile(rt);
  const app = await createApp(rt);
  const fastify = app.getHttpAdapter().getInstance();
  const self: FakeDaemon = {
    rt,
    app,
    netlink,
    netns: kernel.netns as FakeNetns,
    hostNs,
    dataRoot,
    async request(method, url, body) {
      const res = await fastify.inject({
        method: method as 'GET',
        url,
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      });
      let parsed: unknown = res.body;
      try {
        parsed = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        // plain text (e.g. _ping)
      }
      return { status: res.statusCode, body: parsed, headers: res.headers };
    },
    async restart() {
      await app.close();
      rt.db.close();
      return startFakeDaemon(overrides, { kernel: kernel as KernelPorts & { netlink: FakeNetlink; netns: FakeNetns }, dataRoot });
    },
    async close() {
      await app.close();
      rt.db.close();
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
  return self;
}
