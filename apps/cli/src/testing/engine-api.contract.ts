import { randomBytes } from 'node:crypto';
import { demultiplex } from '../client/stdcopy';
import type { NetdApi } from '../client/netd-api';

/**
 * What netctl assumes about the container and image half of any NetdApi: run against
 * FakeNetdClient in unit tests and against NetdClient + a real netd in
 * e2e/cli-containers.e2e-spec.ts. `image` must exist (busybox with echo, sh and sleep).
 */
export function describeEngineApiContract(name: string, makeClient: () => NetdApi | Promise<NetdApi>, image = 'busybox'): void {
  describe(`NetdApi engine contract: ${name}`, () => {
    let client: NetdApi;
    const made: string[] = [];
    const unique = () => `netctl-c-${randomBytes(3).toString('hex')}`;

    beforeEach(async () => {
      client = await makeClient();
    });

    afterEach(async () => {
      for (const c of made.splice(0)) await client.removeContainer(c, { force: true }).catch(() => undefined);
    });

    const output = async (body: AsyncIterable<Uint8Array>) => {
      const out = { stdout: '', stderr: '' };
      await demultiplex(body, (s, p) => void (s === 2 ? (out.stderr += p.toString()) : (out.stdout += p.toString())));
      return out;
    };

    it('lists the image with its familiar tag and inspects it', async () => {
      const images = await client.listImages();
      const found = images.find((i) => (i.RepoTags ?? []).includes(`${image}:latest`));
      expect(found?.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const { image: ins, raw } = await client.inspectImageWithRaw(image);
      expect(ins.Id).toBe(found?.Id);
      expect(JSON.parse(raw)).toEqual(ins);
      await expect(client.inspectImageWithRaw('nosuch-image-x')).rejects.toMatchObject({ status: 404 });
    });

    it('refuses bad names (400), missing images (404) and duplicate names (409) with docker\'s messages', async () => {
      await expect(client.createContainer({ Image: image, Cmd: ['true'] }, 'bad name')).rejects.toMatchObject({ status: 400, message: 'Invalid container name (bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed' });
      await expect(client.createContainer({ Image: 'nosuch-image-x', Cmd: ['true'] })).rejects.toMatchObject({ status: 404, message: expect.stringMatching(/^No such image: nosuch-image-x(:latest)?$/) });
      const n = unique();
      const { Id } = await client.createContainer({ Image: image, Cmd: ['true'] }, n);
      made.push(Id);
      await expect(client.createContainer({ Image: image, Cmd: ['true'] }, n)).rejects.toMatchObject({
        status: 409,
        message: `Conflict. The container name "/${n}" is already in use by container "${Id}". You have to remove (or rename) that container to be able to reuse that name.`,
      });
    });

    it('runs a container to its exit code, with its output in the multiplexed logs', async () => {
      const n = unique();
      const { Id } = await client.createContainer({ Image: image, Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], AttachStdout: true, AttachStderr: true }, n);
      made.push(Id);
      expect(Id).toMatch(/^[0-9a-f]{64}$/);
      const waited = client.waitContainer(Id, 'next-exit');
      await client.startContainer(Id);
      expect((await waited).StatusCode).toBe(3);
      expect(await output(await client.containerLogs(Id, {}))).toEqual({ stdout: 'out\n', stderr: 'err\n' });
      const { container } = await client.inspectContainerWithRaw(n);
      expect(container).toMatchObject({ Id, Name: `/${n}`, State: { Status: 'exited', Running: false, ExitCode: 3 } });
      const listed = await client.listContainers({ all: true, filters: { name: [n] } });
      expect(listed.map((c) => [c.Id, c.Names, c.State])).toEqual([[Id, [`/${n}`], 'exited']]);
      expect(listed[0].Status).toMatch(/^Exited \(3\) (Less than a second|\d+ seconds?) ago$/);
      await expect(client.killContainer(Id)).rejects.toMatchObject({ status: 409 });
    });

    it('execs in a running container, refuses rm without force, and removes with force', async () => {
      const { Id } = await client.createContainer({ Image: image, Cmd: ['sleep', '60'] }, unique());
      made.push(Id);
      await client.startContainer(Id);
      expect((await client.listContainers({ filters: { id: [Id] } }))[0]?.Status).toMatch(/^Up /);
      const exec = await client.createExec(Id, { Cmd: ['sh', '-c', 'echo x; exit 4'], AttachStdout: true, AttachStderr: true });
      const conn = await client.startExec(exec.Id, {});
      expect(await output(conn!)).toEqual({ stdout: 'x\n', stderr: '' });
      let ins = await client.inspectExec(exec.Id);
      for (let i = 0; i < 50 && ins.Running; i++) ins = await new Promise((r) => setTimeout(r, 20)).then(() => client.inspectExec(exec.Id));
      expect(ins).toMatchObject({ Running: false, ExitCode: 4 });
      await expect(client.removeContainer(Id)).rejects.toMatchObject({ status: 409 });
      await client.removeContainer(Id, { force: true });
      await expect(client.inspectContainerWithRaw(Id)).rejects.toMatchObject({ status: 404, message: `No such container: ${Id}` });
    });
  });
}
