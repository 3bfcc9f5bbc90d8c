import { EXEC_PROGRAM, describeRuntimeContract } from './runtime.contract';
import { FakeRuntime } from './fake-runtime';

describeRuntimeContract('FakeRuntime', async () => {
  const runtime = new FakeRuntime();
  runtime.onExec = (_id, spec) => (spec.args.join(' ') === EXEC_PROGRAM.join(' ') ? { exitCode: 3, stdout: 'out\n', stderr: 'err\n' } : { exitCode: 0, stdout: '', stderr: '' });
  return {
    runtime,
    prepare: async (id, args) => {
      runtime.programs.set(id, args);
      return { id, lowers: ['/layer'], terminal: false };
    },
    dispose: async () => undefined,
  };
});
