import { FakeNetdClient } from '../../testing/fake-netd-client';
import { runNetctl } from '../../testing/run-cli';

describe('version / info / completion', () => {
  it('prints client and server versions, or a template', async () => {
    const r = await runNetctl(['version'], new FakeNetdClient());
    expect(r.stdout).toMatch(/^Client:\n Version: +\S+\n API version: +1\.47\n/);
    expect(r.stdout).toContain('\nServer: netd\n Engine:\n  Version:          0.1.0\n  API version:      1.47 (minimum version 1.24)\n');
    expect((await runNetctl(['version', '-f', '{{.Server.Version}}'], new FakeNetdClient())).stdout).toBe('0.1.0\n');
  });

  it('prints --version without a daemon', async () => {
    const r = await runNetctl(['--version'], new FakeNetdClient());
    expect(r).toEqual({ code: 0, stdout: expect.stringMatching(/^\S+\n$/), stderr: '' });
  });

  it('prints info fields and templates', async () => {
    const r = await runNetctl(['info'], new FakeNetdClient());
    expect(r.stdout).toMatch(/^Client:\n Version: +\S+\n Context: +default\n Debug Mode: false\n\nServer:\n/);
    expect(r.stdout.split('Server:\n')[1]).toBe(' Networks: 3\n Server Version: 0.1.0\n Plugins:\n  Network: bridge host null\n Name: fakehost\n ID: fake\n');
    expect((await runNetctl(['system', 'info', '--format', '{{.ID}}'], new FakeNetdClient())).stdout).toBe('fake\n');
    expect((await runNetctl(['info', '--format', '{{.Name}}'], new FakeNetdClient())).stdout).toBe('fakehost\n');
  });

  it('generates bash and zsh completion from the command tree', async () => {
    const fake = new FakeNetdClient();
    const bash = await runNetctl(['completion', 'bash'], fake);
    expect(bash.stdout).toContain('complete -F _netctl netctl');
    expect(bash.stdout).toContain('"network") cmdpath="network"');
    expect(bash.stdout).toMatch(/"network create"\)[\s\S]*--subnet[\s\S]*--ip-range/);
    const zsh = await runNetctl(['completion', 'zsh'], fake);
    expect(zsh.stdout).toMatch(/^#compdef netctl\n/);
    expect(zsh.stdout).toContain("'prune:Remove all unused networks'");
    expect(fake.requests).toEqual([]);
    expect(await runNetctl(['completion', 'fish'], fake)).toMatchObject({ code: 1, stderr: 'unsupported shell "fish": use bash or zsh\n' });
  });
});
