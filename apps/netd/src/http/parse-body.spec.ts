import { CreateNetworkDto } from '@app/api';
import { parseBody } from './parse-body';

describe('parseBody', () => {
  it('keeps a `constructor` label as data (class-transformer took it for a class and threw), in a record without a prototype', () => {
    const body = JSON.parse('{"Name":"n1","Labels":{"constructor":"c","toString":"t"}}') as unknown;
    const dto = parseBody(CreateNetworkDto, body);
    expect({ ...dto.Labels }).toEqual({ constructor: 'c', toString: 't' });
    expect(Object.getPrototypeOf(dto.Labels)).toBeNull();
  });

  it('reads past a `constructor` key in a field it does not know (dockerd ignores unknown fields)', () => {
    const body = JSON.parse('{"Name":"n1","Unknown":{"constructor":"c","x":[{"constructor":1}]}}') as unknown;
    expect(parseBody(CreateNetworkDto, body)).toMatchObject({ Name: 'n1' });
  });
});
