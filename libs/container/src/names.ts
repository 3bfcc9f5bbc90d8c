import { ConflictError, InvalidParameterError, generateId, isFullId } from '@app/common';

/** Docker's container name rule (`daemon/names`): `/?[a-zA-Z0-9][a-zA-Z0-9_.-]+`. */
const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Validate a user-given name and return it in canonical form, with the leading `/` Docker
 * stores and shows in `inspect`. Docker's exact message on failure.
 */
export function canonicalName(name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidParameterError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

/** Docker's 409 text for a name already taken. */
export function nameConflict(name: string, ownerId: string): ConflictError {
  return new ConflictError(
    `Conflict. The container name "${name}" is already in use by container "${ownerId}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fervent', 'gifted', 'jolly', 'keen', 'lucid', 'nifty', 'quirky', 'serene', 'vibrant'];
const SURNAMES = ['babbage', 'curie', 'darwin', 'euler', 'hopper', 'kepler', 'lovelace', 'noether', 'pascal', 'turing', 'wozniak', 'yalow'];

/** A Docker-style `adjective_surname` name not in `taken` (canonical form). */
export function generateName(taken: (name: string) => boolean, random: () => number = Math.random): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pick = (xs: string[]) => xs[Math.floor(random() * xs.length)];
    const base = `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
    const name = `/${attempt < 10 ? base : `${base}${attempt}`}`;
    if (!taken(name)) return name;
  }
  return `/${generateId().slice(0, 12)}`;
}

export { isFullId };
