// The topology page (--ui-addr) in Debian's Chromium, headless, driven by playwright-core: the
// page must show the networks and containers the test makes, follow a new container live, and
// filter. The daemon and the browser both live in the test's namespace (the browser is started
// through nsenter), so the page is served on that namespace's loopback only.
import { describeAsRoot } from '@app/kernel/testing';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, useNetdForSuite } from './support/daemon';

const OUT = join(ROOT, '.test-out');
const CHROMIUM = '/usr/bin/chromium';
const UI = 'http://127.0.0.1:9400';

describeAsRoot('topology page in headless Chromium (e2e)', () => {
  let browser: BrowserContext | undefined;
  let page: Page;
  let profile = '';
  const subnet1 = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
  const subnet2 = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
  const ids: Record<string, string> = {};

  const daemon = useNetdForSuite({
    bridge: 'ntp0',
    loopback: true,
    inNamespace: true,
    extraArgs: ['--ui-addr', UI.slice('http://'.length)],
    beforeStop: () => browser?.close(),
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await daemon.call(method, path, body);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const runContainer = async (name: string, network: string) => {
    const { Id } = await call('POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: network } });
    await call('POST', `/containers/${Id}/start`);
    ids[name] = Id;
    return Id as string;
  };
  const addressOn = async (name: string, network: string) => (await call('GET', `/containers/${name}/json`)).NetworkSettings.Networks[network].IPAddress as string;

  beforeAll(async () => {
    await call('POST', '/networks/create', { Name: 'tp-front', IPAM: { Config: [{ Subnet: `${subnet1}.0/24` }] } });
    await call('POST', '/networks/create', { Name: 'tp-back', IPAM: { Config: [{ Subnet: `${subnet2}.0/24` }] }, Internal: true });
    await runContainer('tp-web1', 'tp-front');
    await runContainer('tp-db1', 'tp-back');
    await call('POST', '/networks/tp-back/connect', { Container: 'tp-web1' });
    // the browser runs in the daemon's namespace: a wrapper enters it and execs chromium (playwright talks over a pipe)
    profile = mkdtempSync(join(tmpdir(), 'netd-t-chromium-'));
    const wrapper = join(profile, 'chromium-in-netns');
    writeFileSync(wrapper, `#!/bin/sh\nexec nsenter --net=${daemon.ns.ref.path} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    // a fresh profile each run (playwright passes it as --user-data-dir)
    browser = await chromium.launchPersistentContext(join(profile, 'data'), {
      executablePath: wrapper,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 800 },
      timeout: 60_000,
    });
    page = browser.pages()[0] ?? (await browser.newPage());
  }, 120_000);

  afterAll(() => {
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const card = (network: string) => page.locator(`[data-network="${network}"]`);
  const row = (network: string, container: string) => card(network).locator(`[data-container="${container}"]`);

  it('shows the host, every network with driver, subnet and hosts, and its containers with addresses', async () => {
    await page.goto(`${UI}/`);
    await row('tp-front', 'tp-web1').waitFor({ timeout: 10_000 });
    expect(await page.locator('#hosts li').count()).toBe(1);
    expect(await page.locator('#hosts li').first().textContent()).toContain('this host');
    for (const predefined of ['bridge', 'host', 'none']) expect(await card(predefined).count()).toBe(1);
    const front = (await card('tp-front').locator('.meta').textContent())!;
    expect(front).toContain('bridge');
    expect(front).toContain(`${subnet1}.0/24`);
    expect(await card('tp-back').locator('.meta').textContent()).toContain('internal');
    const web1 = await addressOn('tp-web1', 'tp-front');
    expect(await row('tp-front', 'tp-web1').locator('td').allTextContents()).toEqual(['tp-web1', expect.stringContaining(`${web1}/24`), expect.any(String), 'running']);
    // a container on two networks is shown on each, with its address there
    expect(await row('tp-back', 'tp-web1').locator('td').nth(1).textContent()).toContain(await addressOn('tp-web1', 'tp-back'));
    expect(await row('tp-back', 'tp-db1').count()).toBe(1);
    expect(await row('tp-front', 'tp-db1').count()).toBe(0);
  });

  it('follows the event stream: a new container appears without a reload, and a removed one goes', async () => {
    const started = Date.now();
    await runContainer('tp-web2', 'tp-front');
    // the page also polls every 5 s; well under that, only the event stream can have told it
    await row('tp-front', 'tp-web2').waitFor({ timeout: 3_000 });
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await row('tp-front', 'tp-web2').locator('td').nth(1).textContent()).toContain(await addressOn('tp-web2', 'tp-front'));
    await call('DELETE', `/containers/${ids['tp-db1']}?force=1`);
    delete ids['tp-db1'];
    await row('tp-back', 'tp-db1').waitFor({ state: 'detached', timeout: 3_000 });
  });

  it('filters by container, network, address and host, and says when nothing matches', async () => {
    const filter = page.locator('#filter');
    await filter.fill('tp-web2');
    expect(await page.locator('[data-network]').evaluateAll((els) => els.map((e) => e.getAttribute('data-network')))).toEqual(['tp-front']);
    expect(await card('tp-front').locator('[data-container]').evaluateAll((els) => els.map((e) => e.getAttribute('data-container')))).toEqual(['tp-web2']);
    await filter.fill(`${subnet2}.0`);
    expect(await page.locator('[data-network]').evaluateAll((els) => els.map((e) => e.getAttribute('data-network')))).toEqual(['tp-back']);
    expect(await row('tp-back', 'tp-web1').count()).toBe(1);
    await filter.fill(await addressOn('tp-web1', 'tp-front'));
    expect(await row('tp-front', 'tp-web1').count()).toBe(1);
    expect(await page.locator('#empty').isHidden()).toBe(true);
    await filter.fill('no-such-thing-anywhere');
    expect(await page.locator('[data-network]').count()).toBe(0);
    expect(await page.locator('#empty').isVisible()).toBe(true);
    await filter.fill('');
    await row('tp-front', 'tp-web1').waitFor();
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: join(OUT, 'topology.png'), fullPage: true });
  });
});
