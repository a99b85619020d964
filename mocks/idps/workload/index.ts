import type { Clock } from '../../../harness/clock.ts';
import type { FetchHandler } from '../../../harness/network/types.ts';

export interface WorkloadIssuerOptions {
  /** e.g. https://workload.reference.test (no trailing slash). */
  issuer: string;
  clock: Clock;
  /** The default `aud` of minted tokens: the authorization server that accepts them (its issuer). */
  audience: string;
}

export interface WorkloadTokenOptions {
  /** Set or replace claims; a claim given as undefined is removed. */
  claims?: Record<string, unknown>;
  /** Set or replace protected header members; undefined removes. */
  header?: Record<string, unknown>;
  /** 'trusted' signs with the published key; 'untrusted' with a key the issuer never published. */
  key?: 'trusted' | 'untrusted';
}

/**
 * A cloud-style workload identity issuer (seed 004: workloads on AWS/GCP present their platform's OIDC token): OpenID
 * metadata, a JWKS, a userinfo endpoint, and workload identity tokens minted on demand.
 */
export interface WorkloadIssuer {
  issuer: string;
  handler: FetchHandler;
  /** The workload the default token names, and the login id its userinfo returns. */
  workload: { sub: string; email: string };
  mint(options?: WorkloadTokenOptions): Promise<string>;
}

export async function createWorkloadIssuer(options: WorkloadIssuerOptions): Promise<WorkloadIssuer> {
  return {
    issuer: options.issuer,
    workload: { sub: 'workload-reporting-job', email: 'reporting-job@workloads.example.test' },
    handler: async () => Response.json({ error: 'not_found' }, { status: 404 }),
    mint: async () => {
      throw new Error('the workload issuer cannot mint tokens yet');
    },
  };
}
