import { InvalidParameterError } from '@app/common';

/** The parsed query string as Fastify hands it over: a parameter given twice arrives as an array. */
export type QueryParams = Record<string, unknown>;

/** Refusal of a parameter given twice: which value is meant is ambiguous, so Docker's routes take neither. */
export function givenTwice(name: string): InvalidParameterError {
  return new InvalidParameterError(`query parameter ${name} must be given once`);
}

/** The one value of a query parameter (as read by `@Query('name')`), undefined when absent. */
export function queryValue(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw givenTwice(name);
}

/** The one value of parameter `name` of a whole query, undefined when absent. */
export function queryParam(q: QueryParams, name: string): string | undefined {
  return queryValue(q[name], name);
}

/** A boolean query flag as the Docker clients send it (`1`, `true`, `True`); anything else is false. */
export function queryFlag(v: string | undefined): boolean {
  return v === '1' || v === 'true' || v === 'True';
}
