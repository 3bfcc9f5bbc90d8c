import { KeyedMutex } from './keyed-mutex';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe(KeyedMutex.name, () => {
  it('runs work on one key one at a time, in order', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    await Promise.all(
      [1, 2, 3].map((i) =>
        m.run('a', async () => {
          log.push(`start ${i}`);
          await tick();
          log.push(`end ${i}`);
        }),
      ),
    );
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(m.busyKeys).toBe(0);
  });

  it('runs different keys in parallel and survives a failing task', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const a = m.run('a', async () => {
      log.push('a');
      await tick();
      throw new Error('boom');
    });
    const b = m.run('b', async () => log.push('b'));
    await expect(a).rejects.toThrow('boom');
    await b;
    expect(log).toEqual(['a', 'b']);
    await expect(m.run('a', async () => 'next')).resolves.toBe('next');
  });
});
