import {
  ConflictError,
  ForbiddenError,
  HTTP_STATUS,
  InvalidParameterError,
  MultiError,
  NotFoundError,
  NotImplementedError,
  SystemError,
  UnavailableError,
  httpStatusOf,
  throwIfAny,
} from './errors';

describe('NetdError', () => {
  it.each([
    { name: 'InvalidParameterError', make: () => new InvalidParameterError('x'), kind: 'invalid-parameter', status: 400 },
    { name: 'NotFoundError', make: () => new NotFoundError('x'), kind: 'not-found', status: 404 },
    { name: 'ConflictError', make: () => new ConflictError('x'), kind: 'conflict', status: 409 },
    { name: 'ForbiddenError', make: () => new ForbiddenError('x'), kind: 'forbidden', status: 403 },
    { name: 'UnavailableError', make: () => new UnavailableError('x'), kind: 'unavailable', status: 503 },
    { name: 'NotImplementedError', make: () => new NotImplementedError('x'), kind: 'not-implemented', status: 501 },
    { name: 'SystemError', make: () => new SystemError('x'), kind: 'system', status: 500 },
  ])('$name has kind $kind and maps to $status', ({ make, kind, status, name }) => {
    const e = make();
    expect(e.kind).toBe(kind);
    expect(e.name).toBe(name);
    expect(e).toBeInstanceOf(Error);
    expect(HTTP_STATUS[e.kind]).toBe(status);
    expect(httpStatusOf(e)).toBe(status);
  });

  it('maps unknown errors to 500', () => {
    expect(httpStatusOf(new TypeError('boom'))).toBe(500);
    expect(httpStatusOf('a string')).toBe(500);
  });

  it('keeps the cause', () => {
    const cause = new Error('EEXIST');
    expect(new SystemError('create bridge br-1', { cause }).cause).toBe(cause);
  });
});

describe(MultiError.name, () => {
  it('joins the messages and takes the common kind', () => {
    const e = new MultiError('delete network n1', [new NotFoundError('no veth1'), new NotFoundError('no veth2')]);
    expect(e.message).toBe('delete network n1: no veth1; no veth2');
    expect(e.kind).toBe('not-found');
  });

  it('is a system error when the kinds differ', () => {
    expect(new MultiError('x', [new NotFoundError('a'), new Error('b')]).kind).toBe('system');
  });

  describe('throwIfAny', () => {
    it('does nothing without errors', () => {
      expect(() => throwIfAny('x', [])).not.toThrow();
    });

    it('rethrows a single netd error as it is', () => {
      const e = new ConflictError('busy');
      expect(() => throwIfAny('x', [e])).toThrow(e);
    });

    it('gathers several errors', () => {
      expect(() => throwIfAny('teardown', [new Error('a'), new Error('b')])).toThrow('teardown: a; b');
    });
  });
});
