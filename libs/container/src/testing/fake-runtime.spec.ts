import { describeRuntimeContract } from './runtime.contract';
import { FakeRuntime } from './fake-runtime';

describeRuntimeContract('FakeRuntime', async () => {
  const runtime = new FakeRuntime();
  return {
    runtime,
    prepare: async (id, args) => {
      runtime.programs.set(id, args);
      return { id, lowers: ['/layer'], terminal: false };
    },
    dispose: async () => undefined,
  };
});
