import { LIFECYCLE_SCENARIOS } from '../../suites/client/lifecycle/scenarios.ts';
import { describeSdkClientRun } from './sdk-client.support.ts';

describeSdkClientRun('token lifecycle', LIFECYCLE_SCENARIOS);
