import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactExchange, redactHeaders, redactText, SECRET_PARAMETERS } from './redact.ts';
import { SAMPLE_JWT, sampleCheck, sampleExchange, sampleRun } from './sample-run.ts';

const SECRET = 'S3cr3t-value-that-is-long-enough';

describe('redactHeaders', () => {
  it('keeps the Authorization scheme and the first 6 characters of the credential', () => {
    expect(redactHeaders({ Authorization: `Bearer ${SECRET}` })).toEqual({ Authorization: `Bearer S3cr3t${REDACTED}` });
    expect(redactHeaders({ authorization: 'Basic Y2xpZW50OnNlY3JldC1zZWNyZXQ=' })).toEqual({
      authorization: `Basic Y2xpZW${REDACTED}`,
    });
  });

  it('cuts every cookie value but keeps names and Set-Cookie attributes', () => {
    expect(redactHeaders({ cookie: 'session=abcdef123456; csrf=zzz999' })).toEqual({
      cookie: `session=${REDACTED}; csrf=${REDACTED}`,
    });
    expect(redactHeaders({ 'set-cookie': 'sid=abcdef123456; Path=/; HttpOnly; SameSite=Lax' })).toEqual({
      'set-cookie': `sid=${REDACTED}; Path=/; HttpOnly; SameSite=Lax`,
    });
  });

  it('redacts secrets in Location query strings and fragments', () => {
    const location = `https://client.example/cb#access_token=${SECRET}&token_type=Bearer&state=xyz`;
    expect(redactHeaders({ location }).location).toBe(
      `https://client.example/cb#access_token=S3cr3t${REDACTED}&token_type=Bearer&state=xyz`,
    );
  });

  it('leaves harmless headers alone', () => {
    const headers = { 'www-authenticate': 'Bearer resource_metadata="https://mcp.example/.well-known/x"' };
    expect(redactHeaders(headers)).toEqual(headers);
  });
});

describe('redactText', () => {
  it.each(SECRET_PARAMETERS)('redacts %s in JSON, form bodies and query strings', (name) => {
    const json = redactText(JSON.stringify({ [name]: SECRET, other: 'kept' }));
    expect(json).toBe(JSON.stringify({ [name]: `S3cr3t${REDACTED}`, other: 'kept' }));
    expect(redactText(`a=1&${name}=${SECRET}&b=2`)).toBe(`a=1&${name}=S3cr3t${REDACTED}&b=2`);
    expect(redactText(`https://as.example/x?${name}=${SECRET}`)).toBe(`https://as.example/x?${name}=S3cr3t${REDACTED}`);
  });

  it('does not touch parameters that merely end in a secret name', () => {
    expect(redactText('token_type=Bearer&expires_in=3600')).toBe('token_type=Bearer&expires_in=3600');
    expect(redactText('{"token_type":"Bearer"}')).toBe('{"token_type":"Bearer"}');
  });

  it('keeps the first 12 characters of any JWT-looking string', () => {
    expect(redactText(`the token ${SAMPLE_JWT} was accepted`)).toBe(
      `the token ${SAMPLE_JWT.slice(0, 12)}${REDACTED} was accepted`,
    );
    expect(redactText('unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe(`unsigned eyJhbGciOiJu${REDACTED}`);
  });

  it('redacts secrets in clipped JSON that no longer parses', () => {
    expect(redactText(`{"refresh_token":"${SECRET}","x":"… [99999 chars]`)).toBe(
      `{"refresh_token":"S3cr3t${REDACTED}","x":"… [99999 chars]`,
    );
  });

  it('keeps less of short secrets and is idempotent', () => {
    expect(redactText('password=hunter2')).toBe(`password=hu${REDACTED}`);
    const once = redactText(`password=${SECRET}&token=${SAMPLE_JWT}`);
    expect(redactText(once)).toBe(once);
  });
});

describe('redact', () => {
  it('redacts request and response of every exchange and leaves the input untouched', () => {
    const run = sampleRun([sampleCheck()]);
    const before = JSON.stringify(run);
    const redacted = redact(run);
    expect(JSON.stringify(run)).toBe(before);
    const exchange = redacted.checks[0]!.evidence[0]!;
    expect(exchange.request.headers.authorization).toBe(`Basic Y2xpZW${REDACTED}`);
    expect(exchange.request.body).toContain(`code_verifier=verifi${REDACTED}`);
    expect(exchange.request.body).toContain('code=abc123');
    expect(exchange.response?.body).not.toContain(SAMPLE_JWT);
    expect(exchange.response?.body).toContain(`"refresh_token":"rt-012${REDACTED}"`);
  });

  it('redacts messages and network errors', () => {
    const exchange = redactExchange(
      sampleExchange({ response: undefined, error: `GET https://x.example/?token=${SECRET} failed: ECONNREFUSED` }),
    );
    expect(exchange.error).toBe(`GET https://x.example/?token=S3cr3t${REDACTED} failed: ECONNREFUSED`);
    const run = redact(sampleRun([sampleCheck({ message: `accepted ${SAMPLE_JWT}` })]));
    expect(run.checks[0]!.message).not.toContain(SAMPLE_JWT);
  });

  it('keeps everything with reveal', () => {
    const run = sampleRun();
    expect(redact(run, { reveal: true })).toEqual(run);
  });
});
