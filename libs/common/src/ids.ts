import { randomBytes } from 'node:crypto';

/** Docker-style object ids: 64 lowercase hex characters; shown truncated to 12. */
export const ID_LENGTH = 64;
export const SHORT_ID_LENGTH = 12;

export function generateId(): string {
  return randomBytes(ID_LENGTH / 2).toString('hex');
}

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

export function isFullId(text: string): boolean {
  return text.length === ID_LENGTH && /^[0-9a-f]+$/.test(text);
}
