import { describeNetdApiContract } from './netd-api.contract';
import { describeEngineApiContract } from './engine-api.contract';
import { FakeNetdClient } from './fake-netd-client';

describeNetdApiContract('FakeNetdClient', () => new FakeNetdClient());

describeEngineApiContract('FakeNetdClient', () => {
  const fake = new FakeNetdClient();
  fake.addImage('busybox:latest');
  return fake;
});
