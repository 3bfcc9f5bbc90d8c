import { IpAddr } from '@app/common';
import { closeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { listenTcpInNetns } from './listen-socket';
import { createTempNetns, describeAsRoot, nsExec, type TempNetns } from '../testing';

describeAsRoot('listenTcpInNetns (root, fresh namespace)', () => {
  let ns: TempNetns;
  beforeEach(async () => {
    ns = await createTempNetns();
    await nsExec(ns.ref, 'ip', ['link', 'set', 'lo', 'up']);
  });
  afterEach(async () => {
    await ns?.dispose();
  });

  it('serves a TCP listener bound inside the namespace, invisible from outside', async () => {
    const fd = listenTcpInNetns(ns.ref, IpAddr.parse('127.0.0.11'), 53);
    const server = createServer((c) => c.end('hello from inside\n'));
    await new Promise<void>((resolve) => server.listen({ fd }, resolve));
    try {
      const out = await nsExec(ns.ref, 'busybox', ['nc', '127.0.0.11', '53']);
      expect(out).toContain('hello from inside');
      // Nothing listens on 127.0.0.11:53 in the test's own namespace.
      const here = await new Promise<string>((resolve) => {
        const s = connect({ host: '127.0.0.11', port: 53 });
        s.on('connect', () => (s.destroy(), resolve('connected')));
        s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(here).not.toBe('connected');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('reports a taken port as a conflict', () => {
    const fd = listenTcpInNetns(ns.ref, IpAddr.parse('127.0.0.1'), 5353);
    try {
      expect(() => listenTcpInNetns(ns.ref, IpAddr.parse('127.0.0.1'), 5353)).toThrow(expect.objectContaining({ kind: 'conflict' }));
    } finally {
      closeSync(fd);
    }
  });
});
