import { describe, expect, it } from 'vitest';
import { createTrafficRecorder } from './recorder.ts';

describe('createTrafficRecorder', () => {
  it('records requests in order, keeps raw values for checks, and redacts the evidence', async () => {
    const recorder = createTrafficRecorder();
    const handler = recorder.wrap('as', async (request) => {
      const form = new URLSearchParams(await request.text());
      return Response.json({ access_token: `issued-for-${form.get('client_id')}`, token_type: 'Bearer' });
    });
    const response = await handler(
      new Request('http://127.0.0.1:9/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic c2VjcmV0LXZhbHVl' },
        body: 'grant_type=authorization_code&client_id=c1&code_verifier=verifier-secret-value',
      }),
    );
    expect(await response.json()).toEqual({ access_token: 'issued-for-c1', token_type: 'Bearer' });

    const [entry] = recorder.requests;
    expect(entry?.form?.get('code_verifier')).toBe('verifier-secret-value');
    expect(entry?.status).toBe(200);
    expect(entry?.evidence.request.headers.authorization).toBe('Basic (16 chars)…[redacted]');
    expect(entry?.evidence.request.body).not.toContain('verifier-secret-value');
    expect(entry?.evidence.response?.body).not.toContain('issued-for-c1');
    expect(entry?.evidence.request.body).toContain('client_id=c1');
  });

  it('numbers requests across servers in arrival order', async () => {
    const recorder = createTrafficRecorder();
    const ok = async () => new Response('ok');
    await recorder.wrap('mcp', ok)(new Request('http://127.0.0.1:9/mcp', { method: 'POST', body: '{}' }));
    await recorder.wrap('as', ok)(new Request('http://127.0.0.1:8/.well-known/oauth-authorization-server'));
    expect(recorder.requests.map((request) => [request.index, request.server])).toEqual([
      [0, 'mcp'],
      [1, 'as'],
    ]);
  });
});
