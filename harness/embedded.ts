import type { Defect } from '../reference-server/defects.ts';
import { createReferenceSystem } from '../reference-server/system.ts';
import { ManualClock } from './clock.ts';
import { createDownstreamObserver } from './downstream.ts';
import { autoLoginDriver } from './login/auto.ts';
import { Network } from './network/network.ts';
import type { SystemUnderTest } from './session.ts';
import { parseTargetFile } from './target.ts';
import { createTokenLab } from './token-lab/index.ts';

export interface EmbeddedOptions {
  /** Deliberate defects to plant (negative tests). */
  defects?: readonly Defect[];
  /** Run against the tenant issuer `https://as.reference.test/t/<tenant>` (RFC 8414 path insertion). */
  tenant?: string;
}

/** Where the harness's own peers of the reference system live in memory. */
export const EMBEDDED_TOKEN_LAB = 'https://token-lab.reference.test';
export const EMBEDDED_DOWNSTREAM = 'https://downstream.reference.test/api';
/** The per-issuer rule the reference RS applies to the token lab (seed 003: trust frameworks demand an assurance level). */
export const EMBEDDED_LAB_CLAIMS = { acr: 'urn:mcp-auth-conformance:loa:2' };

/** The reference system in memory, on https:// origins, with a clock the harness controls. */
export async function embeddedSystemUnderTest(options: EmbeddedOptions = {}): Promise<SystemUnderTest> {
  const clock = new ManualClock(Date.now());
  const system = await createReferenceSystem({
    clock,
    defects: [...(options.defects ?? [])],
    interaction: 'auto-approve',
    extraTrustedIssuers: [{ issuer: EMBEDDED_TOKEN_LAB, requiredClaims: EMBEDDED_LAB_CLAIMS }],
    downstream: { url: EMBEDDED_DOWNSTREAM },
    ...(options.tenant ? { tenants: [options.tenant] } : {}),
  });
  const tokenLab = await createTokenLab({
    issuer: EMBEDDED_TOKEN_LAB,
    audience: system.resource,
    scope: system.scopes.basic,
    clock,
    defaultClaims: EMBEDDED_LAB_CLAIMS,
  });
  const downstream = createDownstreamObserver(EMBEDDED_DOWNSTREAM);
  const network = new Network();
  system.mount(network);
  network.mount(EMBEDDED_TOKEN_LAB, tokenLab.handler);
  network.mount(EMBEDDED_DOWNSTREAM, downstream.handler);
  const target = parseTargetFile({
    name: options.tenant ? `reference system (tenant ${options.tenant})` : 'reference system (embedded)',
    resource: system.resource,
    issuer: options.tenant ? `${system.issuer}/t/${options.tenant}` : system.issuer,
    scopes: { ...system.scopes, elevatedIncludesBasic: true },
    tools: { basic: { name: 'echo', arguments: { message: 'conformance' } }, elevated: 'admin_reset' },
    alternateResource: system.alternateResource,
    redirectUri: system.clients.public.redirect_uri,
    clients: { m2m: system.clients.m2m },
    user: system.user,
    login: { mode: 'auto' },
    tokenLab: { issuer: EMBEDDED_TOKEN_LAB, requiredClaims: EMBEDDED_LAB_CLAIMS },
    downstream: { url: EMBEDDED_DOWNSTREAM, tool: 'downstream_report' },
  });
  return {
    target,
    network,
    clock,
    tokenLab,
    downstream,
    login: autoLoginDriver({ network }),
    close: async () => {},
  };
}
