import { Writable } from 'node:stream';
import { displayJsonMessages } from './json-messages';

async function* messages() {
  yield { status: 'Pulling from library/busybox', id: 'latest' };
  yield { status: 'Pulling fs layer', progressDetail: {}, id: 'aaa' };
  yield { status: 'Downloading', progressDetail: { current: 500, total: 1000 }, id: 'aaa' };
  yield { status: 'Pull complete', progressDetail: {}, id: 'aaa' };
  yield { status: 'Digest: sha256:00' };
  yield { aux: { ID: 'sha256:11' } };
}

describe('displayJsonMessages', () => {
  it('draws cli-progress bars on a terminal and keeps status lines', async () => {
    let drawn = '';
    const tty = Object.assign(new Writable({ write: (c, _e, cb) => ((drawn += c.toString()), cb()) }), { isTTY: true, columns: 120, rows: 40, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, clearScreenDown: () => true });
    const lines: string[] = [];
    const aux = await displayJsonMessages(messages(), { line: (t) => lines.push(t), tty });
    expect(aux).toEqual([{ ID: 'sha256:11' }]);
    expect(lines).toEqual([]);
    expect(drawn).toContain('aaa: Pull complete');
    expect(drawn).toContain('Digest: sha256:00');
  });

  it('prints docker-like lines without a terminal, skipping byte progress', async () => {
    const lines: string[] = [];
    await displayJsonMessages(messages(), { line: (t) => lines.push(t) });
    expect(lines).toEqual(['latest: Pulling from library/busybox', 'aaa: Pulling fs layer', 'aaa: Pull complete', 'Digest: sha256:00']);
  });
});
