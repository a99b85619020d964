import { describe, expect, it } from 'vitest';
import { createSamlIdp } from '../mocks/idps/saml/index.ts';
import { systemClock } from './clock.ts';
import { samlSchemaValidator } from './saml-schema.ts';

const SP = { entityId: 'https://sp.example.test/metadata', acsUrl: 'https://sp.example.test/acs' };

describe('SAML schema validator', () => {
  it('accepts a signed Response and refuses what the SAML schemas forbid', async () => {
    const idp = await createSamlIdp({
      entityId: 'https://idp.example.test/metadata',
      ssoUrl: 'https://idp.example.test/sso',
      clock: systemClock,
      serviceProviders: [SP],
    });
    const { xml } = await idp.createResponse({ sp: SP });
    await expect(samlSchemaValidator.validate(xml)).resolves.toBe('SUCCESS_VALIDATE_XML');
    // An element the protocol schema does not define, where only Issuer/Signature/Extensions/Status may come first.
    const smuggled = xml.replace(/(<samlp:Response[^>]*>)/, '$1<samlp:Unknown/>');
    await expect(samlSchemaValidator.validate(smuggled)).rejects.toThrow('ERR_EXCEPTION_VALIDATE_XML');
    // A second Status: the schema allows exactly one.
    const doubled = xml.replace(/(<samlp:Status>[\s\S]*?<\/samlp:Status>)/, '$1$1');
    await expect(samlSchemaValidator.validate(doubled)).rejects.toThrow('ERR_EXCEPTION_VALIDATE_XML');
    await expect(samlSchemaValidator.validate('<not-closed')).rejects.toThrow('ERR_INVALID_XML');
  });

  it('refuses a message that carries an external entity (XXE)', async () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' +
      '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_a" Version="2.0" ' +
      'IssueInstant="2026-01-01T00:00:00Z">&x;</samlp:Response>';
    await expect(samlSchemaValidator.validate(xxe)).rejects.toThrow();
  });
});
