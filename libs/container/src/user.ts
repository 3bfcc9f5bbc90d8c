import { InvalidParameterError } from '@app/common';

/** The OCI `process.user`. */
export interface ProcessUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids?: readonly number[];
}

/**
 * Resolve Docker's `--user` (`name|uid[:group|gid]`, empty = root) against the image's
 * /etc/passwd and /etc/group text (empty strings when the image has none). Numeric ids need no
 * entry; a numeric uid without a group takes the passwd entry's gid, else 0. Docker's messages.
 */
export function resolveUser(spec: string | undefined, passwd: string, group: string): ProcessUser {
  if (!spec) return withGroups({ uid: 0, gid: 0 }, 'root', group);
  const [userPart, groupPart] = spec.split(':', 2);
  const users = parseDb(passwd, 7);
  const byName = users.find((u) => u[0] === userPart);
  let uid: number;
  let gid = 0;
  let name: string | undefined;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = users.find((u) => Number(u[2]) === uid);
    if (entry) ({ gid, name } = { gid: Number(entry[3]), name: entry[0] });
  } else if (byName) {
    ({ uid, gid, name } = { uid: Number(byName[2]), gid: Number(byName[3]), name: byName[0] });
  } else {
    throw new InvalidParameterError(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = parseDb(group, 4).find((e) => e[0] === groupPart);
      if (!g) throw new InvalidParameterError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = Number(g[2]);
    }
  }
  checkId(uid, 'uid');
  checkId(gid, 'gid');
  return name ? withGroups({ uid, gid }, name, group) : { uid, gid };
}

function withGroups(user: ProcessUser, name: string, group: string): ProcessUser {
  const extra = parseDb(group, 4)
    .filter((g) => g[3].split(',').includes(name))
    .map((g) => Number(g[2]))
    .filter((g) => g !== user.gid);
  return extra.length > 0 ? { ...user, additionalGids: extra } : user;
}

function parseDb(text: string, fields: number): string[][] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'))
    .filter((f) => f.length >= fields);
}

function checkId(id: number, what: string): void {
  if (!Number.isSafeInteger(id) || id < 0 || id > 0xfffffffe) throw new InvalidParameterError(`${what} ${id} out of range`);
}
