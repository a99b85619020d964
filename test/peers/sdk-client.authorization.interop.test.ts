import { DISCOVERY_SCENARIOS } from '../../suites/client/discovery/scenarios.ts';
import {
  basicDcr,
  PRE_REGISTERED_SCENARIOS,
  REFUSAL_SCENARIOS,
  scopeFromWwwAuthenticate,
  tokenEndpointAuthNone,
} from '../../suites/client/scenarios.ts';
import { describeSdkClientRun } from './sdk-client.support.ts';

describeSdkClientRun('authorization and discovery', [
  basicDcr,
  scopeFromWwwAuthenticate,
  tokenEndpointAuthNone,
  ...PRE_REGISTERED_SCENARIOS,
  ...REFUSAL_SCENARIOS,
  ...DISCOVERY_SCENARIOS,
]);
