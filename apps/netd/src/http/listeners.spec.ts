import { createServer } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULTS } from '../config/netd-config';
import { closeListeners, openListeners } from './listeners';

describe('closeListeners', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'netd-listen-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ends even when a client keeps a request half-sent and another a hijacked connection half-open', async () => {
    // the app: a request whose body never completes, and an upgrade nobody ends
    const app = createServer(() => undefined);
    app.on('upgrade', (_req, socket) => socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n'));
    const path = join(dir, 's');
    const listeners = await openListeners({ ...DEFAULTS, hosts: [{ kind: 'unix', path }] }, app, pino({ level: 'silent' }));
    const slow = connect(path);
    slow.on('error', () => undefined);
    slow.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{');
    const hijacked = connect(path);
    hijacked.on('error', () => undefined);
    await new Promise<void>((r) => {
      hijacked.once('data', () => r());
      hijacked.write('POST /containers/a/attach HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    });
    hijacked.end();
    const t0 = Date.now();
    await closeListeners(listeners, 300);
    expect(Date.now() - t0).toBeLessThan(2000);
    const closed = (s: typeof slow) => s.destroyed || new Promise<boolean>((r) => s.once('close', () => r(true)));
    expect(await closed(slow)).toBe(true);
    expect(await closed(hijacked)).toBe(true);
  });
});
