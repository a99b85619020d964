/**
 * samlify, set up once for the whole project with the schema validator (SAML 2.0 protocol, assertion, XML-DSig and
 * XML-Encryption schemas, by libxml2 in WebAssembly) without which samlify parses nothing.
 */
import samlify from 'samlify';
import { samlSchemaValidator } from './saml-schema.ts';

samlify.setSchemaValidator(samlSchemaValidator);

export { samlify };

type IdentityProviderOptions = Parameters<typeof samlify.IdentityProvider>[0];

/**
 * An IdP entity. samlify warns on the console for every IdP without a SingleLogoutService; these IdPs deliberately offer
 * no single logout (SAML Profiles §4.4 is optional), so that one warning is dropped while the entity is built.
 */
export function identityProviderWithoutLogout(options: IdentityProviderOptions) {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('missing endpoint of SingleLogoutService')) warn(...args);
  };
  try {
    return samlify.IdentityProvider(options);
  } finally {
    console.warn = warn;
  }
}
