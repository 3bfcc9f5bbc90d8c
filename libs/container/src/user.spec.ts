import { resolveUser } from './user';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\n';
const GROUP = 'root:x:0:\nwww:x:33:\nstaff:x:50:www\n';

describe('resolveUser', () => {
  it.each([
    { name: 'empty is root', spec: undefined, want: { uid: 0, gid: 0 } },
    { name: 'a name takes its uid, gid and supplementary groups', spec: 'www', want: { uid: 33, gid: 33, additionalGids: [50] } },
    { name: 'uid:gid numbers need no entry', spec: '1000:1000', want: { uid: 1000, gid: 1000 } },
    { name: 'a numeric uid takes the passwd gid', spec: '33', want: { uid: 33, gid: 33, additionalGids: [50] } },
    { name: 'name:group', spec: 'www:staff', want: { uid: 33, gid: 50 } },
  ])('$name', ({ spec, want }) => {
    expect(resolveUser(spec, PASSWD, GROUP)).toEqual(want);
  });

  it.each([
    { name: 'unknown user', spec: 'nobody', message: 'unable to find user nobody: no matching entries in passwd file' },
    { name: 'unknown group', spec: 'www:wheel', message: 'unable to find group wheel: no matching entries in group file' },
  ])('rejects $name', ({ spec, message }) => {
    expect(() => resolveUser(spec, PASSWD, GROUP)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});
