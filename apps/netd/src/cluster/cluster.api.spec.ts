import { ClusterInitDto, ClusterJoinDto, ClusterNetworkCreateDto } from '@app/api';
import { parseBody } from '../http/parse-body';
import { startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon';

// Bad cluster bodies are refused by their DTOs before the cluster service sees them: 400, and the
// node is still not a member.
describe('cluster API bodies', () => {
  let d: FakeDaemon;
  beforeAll(async () => (d = await startFakeDaemon()));
  afterAll(async () => d.close());

  it.each([
    ['/netd/cluster/init', 'request body is required', undefined],
    ['/netd/cluster/init', 'request body must be a JSON object', []],
    ['/netd/cluster/init', 'AdvertiseAddr must be a non-empty string', {}],
    ['/netd/cluster/init', 'AdvertiseAddr must be a non-empty string', { AdvertiseAddr: '' }],
    ['/netd/cluster/init', 'AdvertiseAddr must be a non-empty string', { AdvertiseAddr: 'x'.repeat(8193) }],
    ['/netd/cluster/init', 'ListenPort must be an integer between 1 and 65535', { AdvertiseAddr: '192.0.2.1', ListenPort: 70000 }],
    ['/netd/cluster/init', 'ListenPort must be an integer between 1 and 65535', { AdvertiseAddr: '192.0.2.1', ListenPort: '7946' }],
    ['/netd/cluster/init', 'Name must be a non-empty string', { AdvertiseAddr: '192.0.2.1', Name: 7 }],
    ['/netd/cluster/join', 'Token must be a non-empty string', { AdvertiseAddr: '192.0.2.1' }],
    ['/netd/cluster/join', 'Bootstrap must be a list of ip:port strings', { Token: 't', AdvertiseAddr: '192.0.2.1', Bootstrap: '192.0.2.9:7946' }],
    ['/netd/cluster/join', 'Bootstrap must be a list of ip:port strings', { Token: 't', AdvertiseAddr: '192.0.2.1', Bootstrap: [7] }],
    ['/netd/cluster/networks', 'Name must be a non-empty string', { Subnet: '10.9.0.0/16' }],
    ['/netd/cluster/networks', 'BlockLength must be an integer between 1 and 30', { Name: 'ov', Subnet: '10.9.0.0/16', BlockLength: 31 }],
    ['/netd/cluster/networks', 'Internal must be a boolean', { Name: 'ov', Subnet: '10.9.0.0/16', Internal: 'yes' }],
    ['/netd/cluster/networks', 'Attachable must be a boolean', { Name: 'ov', Subnet: '10.9.0.0/16', Attachable: 1 }],
  ])('POST %s → 400 %s', async (path, message, body) => {
    const res = await d.request('POST', path, body);
    expect(res).toMatchObject({ status: 400, body: { message } });
    expect((await d.request('GET', '/netd/cluster')).body).toMatchObject({ Member: false });
  });

  it('POST /netd/cluster/rotate-key outside a cluster → 409, nothing made', async () => {
    const res = await d.request('POST', '/netd/cluster/rotate-key');
    expect(res).toMatchObject({ status: 409, body: { message: expect.stringContaining('this node is not part of a cluster') } });
    expect((await d.request('GET', '/netd/cluster')).body).toMatchObject({ Member: false, ClusterKeyFingerprint: '', ClusterKeyEpoch: 0 });
  });

  it.each([
    [ClusterInitDto, { AdvertiseAddr: '192.0.2.1', ListenPort: 0, Name: '', Extra: 1 }, { AdvertiseAddr: '192.0.2.1', ListenPort: 0, Name: '' }],
    [ClusterJoinDto, { Token: 't', AdvertiseAddr: '192.0.2.1', Bootstrap: ['192.0.2.9:7946'] }, { Token: 't', AdvertiseAddr: '192.0.2.1', Bootstrap: ['192.0.2.9:7946'] }],
    [ClusterNetworkCreateDto, { Name: 'ov', Subnet: '10.9.0.0/16', Gateway: '', BlockLength: 24, Internal: true }, { Name: 'ov', Subnet: '10.9.0.0/16', Gateway: '', BlockLength: 24, Internal: true }],
  ] as const)('%p takes a valid body, unknown fields left out', (dto, body, want) => {
    expect({ ...parseBody(dto as new () => object, body) }).toEqual(want);
  });
});
