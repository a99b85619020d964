import { faker } from '@faker-js/faker';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../harness/clock.ts';
import type { FetchHandler } from '../harness/network/types.ts';
import { createReferenceSystem, type ReferenceSystem } from '../reference-server/system.ts';

/**
 * Bad input never crashes the reference system: every endpoint, fed malformed, oversized, mistyped and random input,
 * answers a 4xx with an explanation (OAuth error JSON where the endpoint speaks JSON), never a 5xx, never a hang.
 */
const AS = 'https://as.reference.test';
const MCP = 'https://mcp.reference.test';
const ENDPOINTS = [
  `${AS}/.well-known/oauth-authorization-server`,
  `${AS}/.well-known/openid-configuration`,
  `${AS}/jwks`,
  `${AS}/register`,
  `${AS}/token`,
  `${AS}/introspect`,
  `${AS}/revoke`,
  `${AS}/authorize`,
  `${AS}/login`,
  `${AS}/consent`,
  `${MCP}/mcp`,
  `${MCP}/.well-known/oauth-protected-resource/mcp`,
];
const JSON_ENDPOINTS = ENDPOINTS.filter((url) => !/\/(authorize|login|consent)$/.test(url));

faker.seed(20261121);
const BODIES: Array<{ name: string; contentType?: string; body: string }> = [
  { name: 'empty form', contentType: 'application/x-www-form-urlencoded', body: '' },
  { name: 'broken JSON', contentType: 'application/json', body: '{"redirect_uris": [' },
  { name: 'JSON array', contentType: 'application/json', body: '[1,2,3]' },
  { name: 'JSON null', contentType: 'application/json', body: 'null' },
  {
    name: 'repeated form parameters',
    contentType: 'application/x-www-form-urlencoded',
    body: 'grant_type=a&grant_type=b&code=x&code=y',
  },
  { name: 'bad percent-encoding', contentType: 'application/x-www-form-urlencoded', body: 'code=%E0%A4%A&token=%%' },
  { name: 'no content type', body: 'token=abc' },
  { name: 'binary as text', contentType: 'text/plain', body: '\u0000\u0001\u0002\uffff' },
  { name: 'two megabytes', contentType: 'application/json', body: `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}` },
  ...Array.from({ length: 6 }, (_, index) => ({
    name: `random ${index}`,
    contentType: faker.helpers.arrayElement(['application/json', 'application/x-www-form-urlencoded', 'text/plain']),
    body: faker.string.sample({ min: 1, max: 400 }),
  })),
];

describe('the reference system under bad input', () => {
  let system: ReferenceSystem;
  const handlerFor = (url: string): FetchHandler => system.handlers.get(new URL(url).origin)!;

  beforeAll(async () => {
    system = await createReferenceSystem({ clock: new ManualClock(Date.UTC(2026, 0, 1)) });
  });

  it.each(ENDPOINTS.flatMap((url) => BODIES.map((body) => [new URL(url).pathname, body.name, url, body] as const)))(
    'POST %s with %s answers 4xx, never 5xx',
    async (_path, _name, url, { contentType, body }) => {
      const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
      const response = await handlerFor(url)(new Request(url, { method: 'POST', headers, body }));
      expect(response.status, await response.clone().text()).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      if (JSON_ENDPOINTS.includes(url) && !url.endsWith('/mcp')) {
        const json = (await response.json()) as { error?: unknown };
        expect(typeof json.error).toBe('string');
      }
    },
  );

  it.each(ENDPOINTS)('GET %s with a hostile query answers without a 5xx', async (url) => {
    const hostile = new URL(url);
    for (const [name, value] of [
      ['client_id', 'a'.repeat(10_000)],
      ['redirect_uri', 'javascript:alert(1)'],
      ['response_type', 'code'],
      ['code_challenge', '%%%'],
      ['resource', 'http://[::1'],
      ['scope', '\u0000'],
    ]) {
      hostile.searchParams.append(name!, value!);
    }
    const response = await handlerFor(url)(new Request(hostile));
    expect(response.status, await response.clone().text()).toBeLessThan(500);
  });
});
