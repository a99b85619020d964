import type { AddedRequirement } from '../requirements.ts';
import { DISCOVERY_REQUIREMENTS } from './discovery/requirements.ts';
import { IDENTITY_REQUIREMENTS } from './identity/requirements.ts';
import { LIFECYCLE_REQUIREMENTS } from './lifecycle/requirements.ts';
import { MACHINE_REQUIREMENTS } from './machine/requirements.ts';

/** Client-side requirements the shared catalogue lacks, in its style. */
export const CLIENT_REQUIREMENTS: Record<string, AddedRequirement> = {
  ...IDENTITY_REQUIREMENTS,
  ...LIFECYCLE_REQUIREMENTS,
  ...DISCOVERY_REQUIREMENTS,
  ...MACHINE_REQUIREMENTS,
  'CL-TOKEN-AUTH-METHOD': {
    keyword: 'MUST',
    text: 'At the token endpoint, authenticate with the token_endpoint_auth_method the client was registered with (none: client_id only, no secret)',
    source: 'OAuth 2.1 §2.4, RFC 7591 §2',
  },
  'CL-RUN-COMPLETES': {
    keyword: 'MUST',
    text: 'Finish the scenario (authorize, call the MCP server) and exit 0 within the time limit, with bounded retries and no hang',
    source: 'MCP authorization (bounded retries), harness contract of the client conformance mode',
  },
};
