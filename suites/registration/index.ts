import type { Suite } from '../suite.ts';
import { cimdChecks, cimdNegatives } from './cimd.ts';
import {
  echoesMetadata,
  ignoresUnknownMetadata,
  publicClientCreated,
  registeredClientUsable,
  secretExpiry,
  uniqueClientIds,
} from './client-information.ts';
import { dcrManagementChecks, dcrManagementNegatives } from './dcr-management.ts';
import { errorFormat, rejectsInconsistentTypes, rejectsUnknownAuthMethod, requiresJson } from './errors.ts';
import {
  acceptsLoopbackRedirect,
  rejectsFragmentRedirect,
  rejectsHttpRedirect,
  rejectsRelativeRedirect,
  requiresRedirectUris,
} from './redirect-uris.ts';

/** Client registration as MCP clients use it: RFC 7591/7592 dynamic registration and Client ID Metadata Documents. */
export const registrationSuite: Suite = {
  name: 'registration',
  checks: [
    publicClientCreated,
    echoesMetadata,
    uniqueClientIds,
    secretExpiry,
    rejectsHttpRedirect,
    rejectsFragmentRedirect,
    rejectsRelativeRedirect,
    requiresRedirectUris,
    rejectsInconsistentTypes,
    rejectsUnknownAuthMethod,
    ignoresUnknownMetadata,
    errorFormat,
    requiresJson,
    acceptsLoopbackRedirect,
    registeredClientUsable,
    ...dcrManagementChecks,
    ...cimdChecks,
  ],
  negatives: {
    'registration.dcr-public-client-created': { defect: 'dcr-returns-200' },
    'registration.dcr-echoes-metadata': { defect: 'dcr-omits-metadata' },
    'registration.dcr-unique-client-ids': { defect: 'dcr-fixed-client-id' },
    'registration.dcr-secret-expiry': { defect: 'dcr-no-secret-expiry' },
    'registration.dcr-rejects-http-redirect': { defect: 'dcr-accepts-any-redirect' },
    'registration.dcr-rejects-fragment-redirect': { defect: 'dcr-accepts-any-redirect' },
    'registration.dcr-rejects-relative-redirect': { defect: 'dcr-accepts-any-redirect' },
    'registration.dcr-requires-redirect-uris': { defect: 'dcr-redirect-optional' },
    'registration.dcr-rejects-inconsistent-types': { defect: 'dcr-skips-metadata-validation' },
    'registration.dcr-rejects-unknown-auth-method': { defect: 'dcr-skips-metadata-validation' },
    'registration.dcr-ignores-unknown-metadata': { defect: 'dcr-rejects-unknown-fields' },
    'registration.dcr-error-format': { defect: 'dcr-errors-as-text' },
    'registration.dcr-requires-json': { defect: 'dcr-accepts-form' },
    'registration.dcr-loopback-redirect': { defect: 'dcr-rejects-loopback-http' },
    // A fixed client_id lets the second registration take over the first client's redirect URIs.
    'registration.dcr-client-usable': { defect: 'dcr-fixed-client-id' },
    ...dcrManagementNegatives,
    ...cimdNegatives,
  },
};
