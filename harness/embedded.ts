import type { Defect } from '../reference-server/defects.ts';
import { createReferenceSystem } from '../reference-server/system.ts';
import { ManualClock } from './clock.ts';
import { autoLoginDriver } from './login/auto.ts';
import { Network } from './network/network.ts';
import type { SystemUnderTest } from './session.ts';
import { parseTargetFile } from './target.ts';

export interface EmbeddedOptions {
  /** Deliberate defects to plant (negative tests). */
  defects?: readonly Defect[];
  /** Run against the tenant issuer `https://as.reference.test/t/<tenant>` (RFC 8414 path insertion). */
  tenant?: string;
}

/** The reference system in memory, on https:// origins, with a clock the harness controls. */
export async function embeddedSystemUnderTest(options: EmbeddedOptions = {}): Promise<SystemUnderTest> {
  const clock = new ManualClock(Date.now());
  const system = await createReferenceSystem({
    clock,
    defects: [...(options.defects ?? [])],
    interaction: 'auto-approve',
    ...(options.tenant ? { tenants: [options.tenant] } : {}),
  });
  const network = new Network();
  system.mount(network);
  const target = parseTargetFile({
    name: options.tenant ? `reference system (tenant ${options.tenant})` : 'reference system (embedded)',
    resource: system.resource,
    issuer: options.tenant ? `${system.issuer}/t/${options.tenant}` : system.issuer,
    scopes: system.scopes,
    tools: { basic: { name: 'echo', arguments: { message: 'conformance' } }, elevated: 'admin_reset' },
    alternateResource: system.alternateResource,
    redirectUri: system.clients.public.redirect_uri,
    user: system.user,
    login: { mode: 'auto' },
  });
  return { target, network, clock, login: autoLoginDriver({ network }), close: async () => {} };
}
