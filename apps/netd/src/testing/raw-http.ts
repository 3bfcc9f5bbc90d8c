import { connect } from 'node:net';

/** What a raw HTTP exchange gave: the status of the first answer (0 if none), all bytes read, whether the server closed. */
export interface Seen {
  status: number;
  text: string;
  closed: boolean;
}

/** `request` on a fresh connection to the unix socket `path`; read until the server closes it or `waitMs` pass. */
export function raw(path: string, request: string | Buffer, waitMs = 3000): Promise<Seen> {
  return new Promise((resolve) => {
    const s = connect(path);
    let text = '';
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('close', () => done(true));
    s.on('error', () => undefined);
    s.write(request);
  });
}
