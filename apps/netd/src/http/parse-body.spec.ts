import { CreateNetworkDto } from '@app/api';
import { parseBody } from './parse-body';

describe('parseBody', () => {
  it('answers a map class-transformer cannot copy (a `constructor` label) with InvalidParameterError, not a crash', () => {
    const body = JSON.parse('{"Name":"n1","Labels":{"constructor":"c"}}') as unknown;
    expect(() => parseBody(CreateNetworkDto, body)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringContaining('request body cannot be read') }));
  });
});
