import { parsePortSpec } from './port-spec';

const view = (spec: string) => {
  const r = parsePortSpec(spec);
  return { proto: r.proto, containerPorts: r.containerPorts, mappings: r.mappings.map((m) => `${m.hostIp ?? '*'}|${m.hostPort}|${m.containerPort}|${m.proto}`) };
};

describe('parsePortSpec', () => {
  it.each([
    { spec: '80', proto: 'tcp', containerPorts: [80], mappings: ['*|0|80|tcp'] },
    { spec: '8080:80', proto: 'tcp', containerPorts: [80], mappings: ['*|8080|80|tcp'] },
    { spec: '8080:80/udp', proto: 'udp', containerPorts: [80], mappings: ['*|8080|80|udp'] },
    { spec: '127.0.0.1:8080:80', proto: 'tcp', containerPorts: [80], mappings: ['127.0.0.1|8080|80|tcp'] },
    { spec: '127.0.0.1::80/sctp', proto: 'sctp', containerPorts: [80], mappings: ['127.0.0.1|0|80|sctp'] },
    { spec: '[::1]:8080:80', proto: 'tcp', containerPorts: [80], mappings: ['::1|8080|80|tcp'] },
    { spec: '8000-8002:80-82', proto: 'tcp', containerPorts: [80, 81, 82], mappings: ['*|8000|80|tcp', '*|8001|81|tcp', '*|8002|82|tcp'] },
    { spec: '90-91', proto: 'tcp', containerPorts: [90, 91], mappings: ['*|0|90|tcp', '*|0|91|tcp'] },
  ])('parses $spec', ({ spec, ...want }) => {
    expect(view(spec)).toEqual(want);
  });

  it.each([
    { spec: '', why: 'empty or too long' },
    { spec: 'abc', why: 'bad container port "abc"' },
    { spec: '8080:0', why: 'bad container port "0"' },
    { spec: '70000:80', why: 'bad host port "70000"' },
    { spec: '80/icmp', why: 'unknown protocol "icmp"' },
    { spec: '8000-8001:80', why: 'host and container port ranges differ in size' },
    { spec: '82-80', why: 'bad container port "82-80"' },
    { spec: '1.2.3:8080:80', why: 'bad host address "1.2.3"' },
    { spec: '[::1:8080:80', why: 'unterminated IPv6 address' },
    { spec: '::1:8080:80', why: 'expected [ip:]hostPort:containerPort' },
    { spec: '1.2.3.4:1:2:3', why: 'expected [ip:]hostPort:containerPort' },
  ])('rejects "$spec"', ({ spec, why }) => {
    expect(() => parsePortSpec(spec)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: `invalid port spec "${spec}": ${why}` }));
  });
});
