import { blkioEntries, ioStatEntries, keyValues, netDev, systemCpuNs } from './stats';

describe('stats parsers', () => {
  it('reads key/value files, skipping what is not a number', () => {
    expect(keyValues('cache 4096\nrss 8192\nbogus\nx y\n')).toEqual({ cache: 4096, rss: 8192 });
  });

  it('reads v1 blkio lines and v2 io.stat as Read/Write entries', () => {
    expect(blkioEntries('8:0 Read 4096\n8:0 Write 0\nTotal 4096\n')).toEqual([{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 0 }]);
    expect(ioStatEntries('259:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n')).toEqual({
      serviceBytes: [{ major: 259, minor: 0, op: 'read', value: 10 }, { major: 259, minor: 0, op: 'write', value: 20 }],
      serviced: [{ major: 259, minor: 0, op: 'read', value: 1 }, { major: 259, minor: 0, op: 'write', value: 2 }],
    });
  });

  it('reads /proc/<pid>/net/dev without loopback', () => {
    const text = [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      '    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0',
      '  eth0:    2048      20    1    2    0     0          0         0     1024      10    3    4    0     0       0          0',
    ].join('\n');
    expect(netDev(text)).toEqual({ eth0: { rx_bytes: 2048, rx_packets: 20, rx_errors: 1, rx_dropped: 2, tx_bytes: 1024, tx_packets: 10, tx_errors: 3, tx_dropped: 4 } });
  });

  it('sums the first /proc/stat line (user to steal) in nanoseconds', () => {
    expect(systemCpuNs('cpu  100 1 50 1000 10 0 5 2 0 0\ncpu0 1 2 3\n')).toBe((100 + 1 + 50 + 1000 + 10 + 0 + 5) * 1e7);
  });
});
