import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConnectNetworkDto } from './connect-network.dto';
import { CreateNetworkDto } from './create-network.dto';
import { DisconnectNetworkDto } from './disconnect-network.dto';

function errorsOf<T extends object>(cls: new () => T, body: unknown): string[] {
  const dto = plainToInstance(cls, body);
  const flat = (errs: ReturnType<typeof validateSync>, path = ''): string[] =>
    errs.flatMap((e) => [
      ...Object.values(e.constraints ?? {}).map((m) => `${path}${m}`),
      ...flat(e.children ?? [], `${path}${e.property}.`),
    ]);
  return flat(validateSync(dto as object, { whitelist: true, forbidUnknownValues: true }));
}

describe(CreateNetworkDto.name, () => {
  it.each([
    ['minimal', { Name: 'n1' }],
    ['full', { Name: 'a.b_c-1', Driver: 'bridge', Internal: true, EnableIPv6: false, Labels: { a: 'b' }, Options: { 'com.docker.network.driver.mtu': '1400' },
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.1.0.0/16', IPRange: '10.1.1.0/24', Gateway: '10.1.0.1', AuxiliaryAddresses: { r: '10.1.0.2' } }] } }],
    ['nulls like Docker sends', { Name: 'n', Driver: null, IPAM: { Config: null, Options: null } }],
    ['host bits set (IPAM normalises)', { Name: 'n', IPAM: { Config: [{ Subnet: '10.1.0.5/16' }] } }],
    // dockerd refuses only blank names
    ['a name with a space', { Name: 'my net' }],
    ['a name starting with an underscore (a compose project "_x")', { Name: '_x_default' }],
    ['a name starting with a dash', { Name: '-n' }],
    ['unicode name', { Name: 'nétwork' }],
  ])('accepts %s', (_n, body) => {
    expect(errorsOf(CreateNetworkDto, body)).toEqual([]);
  });

  it.each([
    ['missing name', {}, 'Name must be a string'],
    ['blank name', { Name: '  ' }, 'Name must not be blank'],
    ['empty name', { Name: '' }, 'Name must not be blank'],
    ['control character', { Name: 'a\nb' }, 'Name must not be blank or hold control characters'],
    ['huge name', { Name: 'a'.repeat(300) }, 'at most 255 characters'],
    ['number name', { Name: 7 }, 'Name must be a string'],
    ['bool as string', { Name: 'n', Internal: 'true' }, 'Internal must be a boolean value'],
    ['labels not strings', { Name: 'n', Labels: { a: 1 } }, 'Labels must be an object of strings'],
    ['labels as array', { Name: 'n', Labels: ['a'] }, 'Labels must be an object of strings'],
    ['subnet not a string', { Name: 'n', IPAM: { Config: [{ Subnet: 10 }] } }, 'Subnet must be a string'],
    ['invalid ip-range', { Name: 'n', IPAM: { Config: [{ Subnet: '10.0.0.0/8', IPRange: '10.0.0.0/33' }] } }, 'IPRange must be a CIDR address, got 10.0.0.0/33'],
    ['bad gateway', { Name: 'n', IPAM: { Config: [{ Gateway: '1.2.3' }] } }, 'Gateway must be an IP address'],
    ['config not an array', { Name: 'n', IPAM: { Config: { Subnet: '10.0.0.0/8' } } }, 'Config must be an array'],
    ['unknown IPAM driver', { Name: 'n', IPAM: { Driver: 'x' } }, 'IPAM.Driver must be "default"'],
    ['bad driver name', { Name: 'n', Driver: '../../bin' }, 'Driver must be a driver name'],
  ])('rejects %s', (_n, body, message) => {
    expect(errorsOf(CreateNetworkDto, body).join('; ')).toContain(message);
  });
});

describe(ConnectNetworkDto.name, () => {
  it('accepts a static address and aliases', () => {
    expect(errorsOf(ConnectNetworkDto, { Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: '10.0.0.2' }, Aliases: ['web'] } })).toEqual([]);
  });

  it('accepts the aliases dockerd accepts (a leading dash, a space)', () => {
    expect(errorsOf(ConnectNetworkDto, { Container: 'c', EndpointConfig: { Aliases: ['-dash', 'a b'] } })).toEqual([]);
  });

  it.each([
    ['missing container', {}, 'Container must be a string'],
    ['empty container', { Container: '' }, 'Container must be longer than or equal to 1 characters'],
    ['IPv6 in IPv4Address', { Container: 'c', EndpointConfig: { IPAMConfig: { IPv4Address: '::1' } } }, 'IPv4Address must be an IPv4 address'],
    ['EndpointConfig as array', { Container: 'c', EndpointConfig: [] }, 'EndpointConfig must be an object'],
    ['blank alias', { Container: 'c', EndpointConfig: { Aliases: [' '] } }, 'each alias must not be blank'],
  ])('rejects %s', (_n, body, message) => {
    expect(errorsOf(ConnectNetworkDto, body).join('; ')).toContain(message);
  });
});

describe(DisconnectNetworkDto.name, () => {
  it('rejects a non-boolean Force', () => {
    expect(errorsOf(DisconnectNetworkDto, { Container: 'c', Force: 'yes' }).join()).toContain('Force must be a boolean value');
  });
});
