import { eventually } from './processes';

describe('eventually', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(eventually(async () => ++n >= 3 && n, 1000, 1)).resolves.toBe(3);
  });

  it('fails once the time is up, naming the last error', async () => {
    await expect(
      eventually(async () => {
        throw new Error('connection refused');
      }, 30, 5),
    ).rejects.toThrow('still not true after 30 ms; last error: connection refused');
  });

  it('fails once the time is up when the value never turns true', async () => {
    await expect(eventually(async () => false, 30, 5)).rejects.toThrow('still not true after 30 ms');
  });
});
