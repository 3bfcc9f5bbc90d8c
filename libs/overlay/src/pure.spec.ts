import { IpAddr, MacAddr, Prefix, generateId } from '@app/common';
import { blockLengthFor } from './block-picker';
import { ClusterState } from './cluster-state';
import { create } from '@bufbuild/protobuf';
import * as pb from '@app/proto';
import { createClusterKey, encodeToken, parseToken } from './cluster-token';
import { decodeRecord, encodeRecord, MIN_VNI } from './peer-record';
import { PeerTable } from './peer-table';
import { VniAllocator } from './vni-allocator';

const owner = 'ab'.repeat(32);
const net = generateId();

function endpointRecord(over: Partial<pb.EndpointRecord> = {}): pb.Record {
  const value = create(pb.EndpointRecordSchema, { networkId: net, endpointId: generateId(), name: 'web', aliases: ['w'], ip: '10.0.0.2', mac: '02:42:0a:00:00:02', vtep: '192.0.2.1', ...over });
  return create(pb.RecordSchema, { owner: Buffer.from(owner, 'hex'), key: `endpoint/${net}/${value.endpointId}`, version: 3n, body: { case: 'endpoint', value } });
}

describe('decodeRecord', () => {
  it('round-trips a valid endpoint record into value types', () => {
    const r = decodeRecord(endpointRecord());
    expect(r.body.type === 'endpoint' && r.body.endpoint.mac.toString()).toBe('02:42:0a:00:00:02');
    expect(decodeRecord(encodeRecord(r))).toEqual(r);
  });

  it.each([
    { name: 'bad IP', rec: () => endpointRecord({ ip: '10.0.0.256' }), msg: /invalid endpoint IP/ },
    { name: 'bad MAC', rec: () => endpointRecord({ mac: 'zz:42:0a:00:00:02' }), msg: /invalid MAC/ },
    { name: 'bad VTEP', rec: () => endpointRecord({ vtep: 'host.example' }), msg: /invalid VTEP/ },
    { name: 'bad name', rec: () => endpointRecord({ name: '-x' }), msg: /invalid endpoint name/ },
    { name: 'bad network id', rec: () => endpointRecord({ networkId: 'nope' }), msg: /invalid network id/ },
    { name: 'key not matching body', rec: () => ({ ...endpointRecord(), key: 'node' }), msg: /does not match/ },
    { name: 'short owner', rec: () => ({ ...endpointRecord(), owner: new Uint8Array(3) }), msg: /32 bytes/ },
    { name: 'version 0', rec: () => ({ ...endpointRecord(), version: 0n }), msg: /version out of range/ },
    { name: 'no body', rec: () => create(pb.RecordSchema, { owner: Buffer.from(owner, 'hex'), key: 'node', version: 1n }), msg: /no body/ },
  ])('rejects $name', ({ rec, msg }) => {
    expect(() => decodeRecord(rec() as pb.Record)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringMatching(msg) }));
  });
});

describe('cluster token', () => {
  it('round-trips key and bootstrap addresses', () => {
    const key = createClusterKey();
    const t = parseToken(encodeToken({ key, bootstrap: [{ host: '127.0.0.1', port: 49737 }, { host: '::1', port: 1 }] }));
    expect(Buffer.from(t.key).equals(Buffer.from(key))).toBe(true);
    expect(t.bootstrap).toEqual([{ host: '127.0.0.1', port: 49737 }, { host: '::1', port: 1 }]);
    expect(t.peers).toBeUndefined();
  });

  it('round-trips the peers to dial at join', () => {
    const peers = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const t = parseToken(encodeToken({ key: createClusterKey(), bootstrap: [{ host: '127.0.0.1', port: 1 }], peers }));
    expect(t.peers?.map((p) => Buffer.from(p).toString('hex'))).toEqual(peers.map((p) => Buffer.from(p).toString('hex')));
  });

  it.each([
    ['not base64url', 'a b'],
    ['not JSON', Buffer.from('{').toString('base64url')],
    ['short key', Buffer.from(JSON.stringify({ v: 1, key: 'AAAA', bootstrap: ['127.0.0.1:1'] })).toString('base64url')],
    ['host name', Buffer.from(JSON.stringify({ v: 1, key: Buffer.alloc(32).toString('base64url'), bootstrap: ['example.com:1'] })).toString('base64url')],
    ['no bootstrap', Buffer.from(JSON.stringify({ v: 1, key: Buffer.alloc(32).toString('base64url'), bootstrap: [] })).toString('base64url')],
    ['a short peer key', Buffer.from(JSON.stringify({ v: 1, key: Buffer.alloc(32).toString('base64url'), bootstrap: ['127.0.0.1:1'], peers: ['AAAA'] })).toString('base64url')],
    ['peers not a list', Buffer.from(JSON.stringify({ v: 1, key: Buffer.alloc(32).toString('base64url'), bootstrap: ['127.0.0.1:1'], peers: 'x' })).toString('base64url')],
  ])('rejects a token with %s', (_n, text) => {
    expect(() => parseToken(text)).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
  });
});

describe(VniAllocator.name, () => {
  it('chooses the same VNI for a network given the same used set, probing past used ones', () => {
    const id = generateId();
    const first = new VniAllocator().allocate(id);
    expect(new VniAllocator().allocate(id)).toBe(first);
    const probed = new VniAllocator([first]).allocate(id);
    expect(probed).toBe(first === 2 ** 24 - 1 ? MIN_VNI : first + 1);
  });

  it('rejects VNIs outside 4096..2^24-1 and double reservations', () => {
    expect(() => new VniAllocator().reserve(4095)).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
    expect(() => new VniAllocator([5000]).reserve(5000)).toThrow(expect.objectContaining({ kind: 'conflict' }));
  });
});

describe(PeerTable.name, () => {
  const peer = (endpointId: string, mac: string) => ({ node: owner, networkId: net, endpointId, name: 'x', aliases: [], ip: IpAddr.parse('10.0.0.9'), mac: MacAddr.parse(mac), vtep: IpAddr.parse('192.0.2.9') });

  it('tolerates two entries for one IP and falls back when the newer goes', () => {
    const t = new PeerTable();
    const a = peer('a', '02:00:00:00:00:0a');
    const b = peer('b', '02:00:00:00:00:0b');
    t.add(a);
    expect(t.add(b)).toEqual({ current: b, previous: a });
    expect(t.duplicates(net).map(String)).toEqual(['10.0.0.9']);
    expect(t.remove(b)).toEqual({ current: a, previous: b });
    expect(t.lookup(net, IpAddr.parse('10.0.0.9'))).toBe(a);
    expect(t.remove(a)).toEqual({ current: undefined, previous: a });
    expect(t.peersOf(net)).toEqual([]);
  });
});


describe('blockLengthFor', () => {
  it.each([
    { subnet: '10.0.9.0/24', hosts: 3, length: 29 },
    { subnet: '10.0.9.0/24', hosts: 16, length: 29 },
    { subnet: '10.0.8.0/22', hosts: 5, length: 27 },
    { subnet: '10.0.8.0/22', hosts: 40, length: 29 },
    { subnet: '10.80.0.0/16', hosts: 5, length: 24 },
    { subnet: '10.0.9.0/28', hosts: 2, length: 29 },
    { subnet: '10.0.9.0/30', hosts: 2, length: 30 },
  ])('cuts $subnet for $hosts hosts into /$length blocks', ({ subnet, hosts, length }) => {
    expect(blockLengthFor(Prefix.parse(subnet), hosts)).toBe(length);
  });
});

describe('ClusterState.wroteHere', () => {
  it('vouches for what this instance wrote and still holds, not for own records merged from disk or peers', () => {
    const state = new ClusterState(owner);
    const endpoint = (id: string) => ({ type: 'endpoint' as const, endpoint: { networkId: net, endpointId: id, name: 'web', aliases: [], ip: IpAddr.parse('10.0.0.2'), mac: MacAddr.parse('02:42:0a:00:00:02'), vtep: IpAddr.parse('192.0.2.1') } });
    const written = state.write(endpoint('a'.repeat(64)));
    expect(state.wroteHere(written.key)).toBe(true);
    state.remove(written.key);
    expect(state.wroteHere(written.key)).toBe(false);
    const handedBack = { ...written, key: `endpoint/${net}/${'b'.repeat(64)}`, version: 50n, body: endpoint('b'.repeat(64)) };
    expect(state.merge([handedBack])).toHaveLength(1);
    expect(state.wroteHere(handedBack.key)).toBe(false);
  });
});
