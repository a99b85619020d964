import { importJWK, type JWK, jwtVerify } from 'jose';
import { systemClock } from '../harness/clock.ts';
import type { Fetch, FetchHandler } from '../harness/network/types.ts';
import { Defects } from '../reference-server/defects.ts';
import { IssuerDirectory } from '../reference-server/resource-server/issuer-directory.ts';
import { mcpRequest, openSession, rpc } from '../reference-server/resource-server/test-mcp.ts';
import { createTokenVerifier } from '../reference-server/resource-server/token-verifier.ts';
import { createReferenceSystem, type ReferenceSystem } from '../reference-server/system.ts';
import type { Benchmark, BenchOptions } from './benchmark.ts';
import { measureInterleaved, type Operation, type RateResult } from './rate.ts';
import { formatTable } from './table.ts';
import { clientCredentialsRequest } from './tokens.ts';

/**
 * Bearer validations per second, in memory: jose's jwtVerify with a local key (the ceiling), the reference RS's token
 * verifier (RFC 9068 local checks; then also RFC 7662 introspection at the AS, as the reference system is configured),
 * and the whole MCP endpoint answering `ping` in an open session (guard, introspection, MCP).
 */

const CONCURRENCY_LEVELS = [1, 8];
/** Alternating slices per contender; the best slice counts. */
const ROUNDS = 3;

interface Subject {
  label: string;
  operation: Operation;
}

function handlerOf(system: ReferenceSystem, origin: string): FetchHandler {
  const handler = system.handlers.get(new URL(origin).origin);
  if (!handler) throw new Error(`the reference system serves nothing at ${origin}`);
  return handler;
}

/** The reference system's own origins, answered by its handlers directly (no Network, no recording). */
function inMemoryFetch(system: ReferenceSystem): Fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    return handlerOf(system, request.url)(request);
  };
}

async function issueToken(system: ReferenceSystem): Promise<string> {
  const template = clientCredentialsRequest({
    tokenUrl: `${system.issuer}/token`,
    clientId: system.clients.m2m.client_id,
    clientSecret: system.clients.m2m.client_secret,
    resource: system.resource,
    scope: system.scopes.basic,
  });
  const response = await handlerOf(system, system.issuer)(new Request(template.url, template));
  const body = (await response.json()) as { access_token?: unknown };
  if (typeof body.access_token !== 'string') throw new Error(`no token: ${response.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function signingKey(system: ReferenceSystem, fetch: Fetch) {
  const metadata = (await (await fetch(`${system.issuer}/.well-known/oauth-authorization-server`)).json()) as {
    jwks_uri: string;
  };
  const { keys } = (await (await fetch(metadata.jwks_uri)).json()) as { keys: JWK[] };
  const key = keys[0];
  if (!key) throw new Error('the AS publishes no key');
  return importJWK(key, 'ES256');
}

async function subjects(system: ReferenceSystem): Promise<Subject[]> {
  const fetch = inMemoryFetch(system);
  const token = await issueToken(system);
  const key = await signingKey(system, fetch);
  const verifierOptions = {
    resource: system.resource,
    issuers: new IssuerDirectory([{ issuer: system.issuer }], fetch),
    fetch,
    clock: systemClock,
    defects: new Defects(),
  };
  const localOnly = createTokenVerifier(verifierOptions);
  const withIntrospection = createTokenVerifier({ ...verifierOptions, introspection: system.clients.m2m });
  const mcp = handlerOf(system, system.resource);
  const session = await openSession(mcp, system.resource, token);
  if ('refusal' in session) throw new Error(`the MCP server refused the session: ${session.refusal.status}`);
  const ping = rpc('ping');
  return [
    {
      label: 'jose jwtVerify, local key (ceiling)',
      operation: async () => {
        await jwtVerify(token, key, {
          issuer: system.issuer,
          audience: system.resource,
          typ: 'at+jwt',
          algorithms: ['ES256'],
        });
        return true;
      },
    },
    { label: 'reference RS verifier, local checks', operation: async () => (await localOnly(token)).subject !== '' },
    {
      label: 'reference RS verifier + introspection',
      operation: async () => (await withIntrospection(token)).subject !== '',
    },
    {
      label: 'reference MCP endpoint: ping in a session',
      operation: async () => {
        const response = await mcp(mcpRequest(system.resource, { token, sessionId: session.sessionId, body: ping }));
        await response.arrayBuffer();
        return response.status === 200;
      },
    },
  ];
}

/** Every subject at every concurrency level, in alternating slices (see measureInterleaved). */
async function measureAll(list: Subject[], options: BenchOptions): Promise<Map<string, RateResult[]>> {
  for (const subject of list) {
    const ok = await subject.operation().catch((error: unknown) => error);
    if (ok !== true) throw new Error(`${subject.label} does not succeed: ${String(ok)}`);
  }
  const contenders = list.flatMap((subject) =>
    CONCURRENCY_LEVELS.map((concurrency) => ({ label: subject.label, operation: subject.operation, concurrency })),
  );
  const rates = await measureInterleaved(contenders, { rounds: ROUNDS, durationMs: options.durationMs });
  const results = new Map<string, RateResult[]>();
  for (const [index, contender] of contenders.entries()) {
    results.set(contender.label, [...(results.get(contender.label) ?? []), rates[index]!]);
  }
  return results;
}

export const bearerBenchmark: Benchmark = {
  name: 'bearer',
  title: 'bearer validations/s of the reference RS vs jose jwtVerify (in memory)',
  async run(options) {
    const system = await createReferenceSystem({ interaction: 'auto-approve' });
    const results = await measureAll(await subjects(system), options);
    const ceiling = [...results.values()][0] ?? [];
    const rows = [...results].map(([label, rates]) => [
      label,
      ...rates.flatMap((rate, level) => [
        rate.perSecond.toFixed(0),
        `${((rate.perSecond / (ceiling[level]?.perSecond ?? Number.NaN)) * 100).toFixed(0)} %`,
        rate.cpuMicrosPerSuccess.toFixed(0),
      ]),
    ]);
    const headers = [
      'what',
      ...CONCURRENCY_LEVELS.flatMap((level) => [`/s (${level} at once)`, 'of jose', 'CPU µs each']),
    ];
    options.write(formatTable(headers, rows));
    options.write('issue 8 sets no target for bearer validation: the ratios to jose are the figures\n');
    return [];
  },
};
