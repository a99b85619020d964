import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/**
 * A locally generated certificate authority, trusted only by the target's operator for a test run: it lets the harness
 * serve Client ID Metadata Documents over https on 127.0.0.1 (CIMD §3 demands https client_ids).
 */
export interface TestCa {
  certificate: x509.X509Certificate;
  /** The CA certificate, PEM: what the target's AS is configured to trust. */
  certificatePem: string;
  privateKey: CryptoKey;
}

export interface ServerCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

x509.cryptoProvider.set(globalThis.crypto);

export async function createTestCa(name = 'mcp-auth-conformance CIMD test CA'): Promise<TestCa> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + 3650 * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, certificatePem: certificate.toString('pem'), privateKey: keys.privateKey };
}

/** A server certificate for `hosts` (IP addresses or DNS names), signed by `ca`, valid for a day. */
export async function issueServerCertificate(ca: TestCa, hosts: readonly string[]): Promise<ServerCertificate> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${hosts[0] ?? 'localhost'}`,
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() - DAY_MS),
    notAfter: new Date(Date.now() + DAY_MS),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((host) => ({ type: isIpAddress(host) ? ('ip' as const) : ('dns' as const), value: host })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate),
    ],
  });
  return { certificatePem: certificate.toString('pem'), privateKeyPem: await privateKeyPem(keys.privateKey) };
}

/** The file next to the CA certificate that keeps its private key, so the operator configures trust once. */
export function caKeyFile(caFile: string): string {
  return `${caFile}.key`;
}

/**
 * The CA at `caFile` (certificate) and its key file, created and written there when absent. `created` tells the caller
 * to point the operator at `caFile`: a target that does not trust it yet cannot fetch the documents.
 */
export async function loadOrCreateTestCa(caFile: string): Promise<{ ca: TestCa; created: boolean }> {
  const existing = await readCa(caFile);
  if (existing) return { ca: existing, created: false };
  const ca = await createTestCa();
  await mkdir(dirname(caFile), { recursive: true });
  await writeFile(caFile, ca.certificatePem, { mode: 0o644 });
  await writeFile(caKeyFile(caFile), await privateKeyPem(ca.privateKey), { mode: 0o600 });
  return { ca, created: true };
}

async function readCa(caFile: string): Promise<TestCa | undefined> {
  let certificatePem: string;
  let keyPem: string;
  try {
    [certificatePem, keyPem] = await Promise.all([readFile(caFile, 'utf8'), readFile(caKeyFile(caFile), 'utf8')]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const certificate = new x509.X509Certificate(certificatePem);
  const privateKey = await crypto.subtle.importKey('pkcs8', pemBody(keyPem), ALGORITHM, true, ['sign']);
  return { certificate, certificatePem, privateKey };
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', key)).toString('base64');
  const lines = der.match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  const base64 = pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
  const bytes = Buffer.from(base64, 'base64');
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}

function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}
