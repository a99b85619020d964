import { IDENTITY_SCENARIOS } from '../../suites/client/identity/scenarios.ts';
import { MACHINE_SCENARIOS } from '../../suites/client/machine/scenarios.ts';
import { describeSdkClientRun } from './sdk-client.support.ts';

describeSdkClientRun('client identity and machine', [...IDENTITY_SCENARIOS, ...MACHINE_SCENARIOS]);
