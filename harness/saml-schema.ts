/**
 * The SAML 2.0 schema validator samlify requires before it parses anything (the protocol, assertion, XML-DSig and
 * XML-Encryption schemas): libxml2 compiled to WebAssembly, with the schemas compiled once per process and each message
 * validated against them. (The asm.js xmllint build samlify suggests re-instantiates libxml2 for every message.)
 */
import { createRequire } from 'node:module';
import {
  XmlBufferInputProvider,
  XmlDocument,
  XmlParseError,
  XsdValidator,
  xmlRegisterInputProvider,
} from 'libxml2-wasm';

const SCHEMA_FILES = [
  'saml-schema-protocol-2.0.xsd',
  'saml-schema-assertion-2.0.xsd',
  'xmldsig-core-schema.xsd',
  'xenc-schema.xsd',
  'XMLSchema.dtd',
  'datatypes.dtd',
] as const;

/** The schema texts, as the samlify validator packages ship them (one module per file, its text as `default`). */
function schemaText(file: string): string {
  const require = createRequire(import.meta.url);
  return (require(`@authenio/samlify-node-xmllint/build/schemas/${file}.js`) as { default: string }).default;
}

let validator: XsdValidator | undefined;

function samlValidator(): XsdValidator {
  if (validator) return validator;
  const encoder = new TextEncoder();
  const buffers = Object.fromEntries(SCHEMA_FILES.map((file) => [file, encoder.encode(schemaText(file))]));
  xmlRegisterInputProvider(new XmlBufferInputProvider(buffers));
  const protocol = XmlDocument.fromString(schemaText('saml-schema-protocol-2.0.xsd'), {
    url: 'saml-schema-protocol-2.0.xsd',
  });
  validator = XsdValidator.fromDoc(protocol);
  return validator;
}

/** samlify's validator contract: resolves for a schema-valid message, rejects (with the reason) otherwise. */
export const samlSchemaValidator = {
  async validate(xml: string): Promise<string> {
    let document: XmlDocument;
    try {
      document = XmlDocument.fromString(xml);
    } catch (error) {
      throw error instanceof XmlParseError ? new Error('ERR_INVALID_XML') : error;
    }
    try {
      samlValidator().validate(document);
      return 'SUCCESS_VALIDATE_XML';
    } catch {
      throw new Error('ERR_EXCEPTION_VALIDATE_XML');
    } finally {
      document.dispose();
    }
  },
};
