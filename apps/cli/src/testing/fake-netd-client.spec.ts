import { describeNetdApiContract } from './netd-api.contract';
import { FakeNetdClient } from './fake-netd-client';

describeNetdApiContract('FakeNetdClient', () => new FakeNetdClient());
