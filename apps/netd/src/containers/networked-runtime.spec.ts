import { SystemError, generateId } from '@app/common';
import { FakeRuntime } from '@app/container/testing';
import { NetworkedRuntime } from './networked-runtime';

/** A network side that records its steps and can fail before or after the namespace exists. */
function network(o: { failBeforeNamespace?: boolean; failAfterNamespace?: boolean; holdMs?: number } = {}) {
  const steps: string[] = [];
  return {
    steps,
    hooks: {
      async setUp(id: string, namespaceReady: () => void) {
        if (o.failBeforeNamespace) throw new SystemError('no namespace');
        steps.push(`ns ${id}`);
        namespaceReady();
        await new Promise((r) => setTimeout(r, o.holdMs ?? 0));
        if (o.failAfterNamespace) throw new SystemError('no endpoint');
        steps.push(`endpoints ${id}`);
      },
      async tearDown(id: string) {
        steps.push(`teardown ${id}`);
      },
    },
  };
}

describe(NetworkedRuntime.name, () => {
  describe('create', () => {
    it('creates the runtime container once the namespace exists, and resolves after the endpoints too', async () => {
      const inner = new FakeRuntime();
      const net = network({ holdMs: 30 });
      const id = generateId();
      const created = jest.spyOn(inner, 'create');
      const rt = new NetworkedRuntime(inner, net.hooks);
      const p = rt.create({ id, lowers: ['/l'], terminal: false });
      await new Promise((r) => setTimeout(r, 10));
      // runc works while the endpoints are still being made
      expect(created).toHaveBeenCalled();
      expect(net.steps).toEqual([`ns ${id}`]);
      await p;
      expect(net.steps).toEqual([`ns ${id}`, `endpoints ${id}`]);
      expect(await inner.state(id)).toMatchObject({ status: 'created' });
    });

    it('a network failure after the runtime create removes the runtime container and the network', async () => {
      const inner = new FakeRuntime();
      const net = network({ failAfterNamespace: true, holdMs: 5 });
      const id = generateId();
      await expect(new NetworkedRuntime(inner, net.hooks).create({ id, lowers: ['/l'], terminal: false })).rejects.toThrow('no endpoint');
      expect(await inner.state(id)).toBeUndefined();
      expect(net.steps).toContain(`teardown ${id}`);
    });

    it('a failure before the namespace exists never reaches the runtime', async () => {
      const inner = new FakeRuntime();
      const created = jest.spyOn(inner, 'create');
      const net = network({ failBeforeNamespace: true });
      const id = generateId();
      await expect(new NetworkedRuntime(inner, net.hooks).create({ id, lowers: ['/l'], terminal: false })).rejects.toThrow('no namespace');
      expect(created).not.toHaveBeenCalled();
      expect(net.steps).toEqual([`teardown ${id}`]);
    });

    it('a runtime failure tears the network down', async () => {
      const inner = new FakeRuntime();
      inner.failNextCreate = new SystemError('runc failed');
      const net = network();
      const id = generateId();
      await expect(new NetworkedRuntime(inner, net.hooks).create({ id, lowers: ['/l'], terminal: false })).rejects.toThrow('runc failed');
      expect(net.steps).toEqual([`ns ${id}`, `endpoints ${id}`, `teardown ${id}`]);
    });
  });
});
