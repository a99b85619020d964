// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** An RSA key pair and its self-signed certificate, both PEM: what a SAML IdP signs with and publishes. */
export interface SamlSigningKey {
  privateKeyPem: string;
  certificatePem: string;
}

// XML-DSig rsa-sha256 (RFC 6931 §2.3.2) is what SAML deployments sign with; samlify and node-saml both verify it.
const ALGORITHM = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;
const DAY_MS = 24 * 60 * 60 * 1000;

x509.cryptoProvider.set(globalThis.crypto);

const sharedKeys = new Map<string, Promise<SamlSigningKey>>();

/**
 * The key for `subject` and `purpose`, made once per process: RSA generation costs far more than a mock's run, mocks are
 * built per test, and a key carries no state. The certificate is valid from a day before the first `now` for a year.
 */
export function sharedSigningKey(
  subject: string,
  purpose: 'trusted' | 'untrusted',
  now: number,
): Promise<SamlSigningKey> {
  const key = `${subject} ${purpose}`;
  let pending = sharedKeys.get(key);
  if (!pending) {
    pending = createSigningKey(subject, now);
    sharedKeys.set(key, pending);
  }
  return pending;
}

/** A fresh key pair with a certificate for `subject`, valid from a day before `now` for a year. */
export async function createSigningKey(subject: string, now: number): Promise<SamlSigningKey> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${subject}`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 365 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return { privateKeyPem: await privateKeyPem(keys.privateKey), certificatePem: certificate.toString('pem') };
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key)).toString('base64');
  const lines = der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
