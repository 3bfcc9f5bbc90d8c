import { createTempNetns, describeAsRoot, type TempNetns } from '@app/kernel/testing';
import { existsSync, readFileSync } from 'node:fs';
import { api, removeDir, startNetd } from './netd-process';

describeAsRoot('removeDir after a test daemon died with a container running', () => {
  let host: TempNetns | undefined;
  afterAll(async () => host?.dispose());

  it('ends the container, unmounts everything below the directory and deletes it', async () => {
    host = await createTempNetns();
    const netd = await startNetd({ hostNetns: host.ref.path, bridge: 'ndrm0' });
    const created = await api(netd.socket, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
    expect(created.status).toBe(201);
    expect((await api(netd.socket, 'POST', `/containers/${created.body.Id}/start`)).status).toBe(204);
    const inspect = (await api(netd.socket, 'GET', `/containers/${created.body.Id}/json`)).body;
    const pid = inspect.State.Pid as number;
    const netns = (inspect.NetworkSettings.SandboxKey as string).split('/').pop()!;
    expect(existsSync(`/run/netns/${netns}`)).toBe(true);
    await netd.kill9();
    // The daemon is gone, its container is not: removeDir has to end it.
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]).not.toBe('Z');

    removeDir(netd.dir);
    expect(existsSync(netd.dir)).toBe(false);
    expect(existsSync(`/run/netns/${netns}`)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(netd.dir);
    for (let i = 0; i < 50 && existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`/proc/${pid}`) ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] : 'gone').toMatch(/gone|Z/);
  });
});
