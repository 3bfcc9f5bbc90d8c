import { eventually } from './eventually';

describe(eventually.name, () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(eventually('n to reach 3', async () => ++n >= 3 && n, 1000, 1)).resolves.toBe(3);
  });

  it('takes a synchronous condition', async () => {
    let n = 0;
    await expect(eventually('n to reach 2', () => ++n >= 2, 1000, 1)).resolves.toBe(true);
  });

  it('fails once the time is up, naming what it waited for and the last error', async () => {
    const fn = async () => {
      throw new Error('connection refused');
    };
    await expect(eventually('the server', fn, 30, 5)).rejects.toThrow('timed out after 30 ms waiting for the server; last error: connection refused');
  });

  it('fails once the time is up when the value never turns true', async () => {
    await expect(eventually('nothing', () => false, 30, 5)).rejects.toThrow('timed out after 30 ms waiting for nothing');
  });
});
