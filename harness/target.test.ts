import { describe, expect, it } from 'vitest';
import { declaredHosts } from './external.ts';
import { parseTargetFile, TargetFileError } from './target.ts';

const minimal = { name: 'acme', resource: 'https://mcp.acme.example/mcp' };

function reason(input: unknown): string {
  try {
    parseTargetFile(input);
  } catch (error) {
    if (error instanceof TargetFileError) return error.message;
    throw error;
  }
  return 'accepted';
}

describe('target file validation', () => {
  it('accepts a minimal target and fills the defaults', () => {
    const target = parseTargetFile(minimal);
    expect(target).toMatchObject({ login: { mode: 'auto' }, allowInsecureHttp: false, timeoutMs: 10_000, clients: {} });
  });

  it('names the offending field in one line', () => {
    expect(reason({ name: 'acme' })).toMatch(/^resource: a target needs "resource"/);
    expect(reason({ ...minimal, clients: { public: { client_id: 'x', redirect_uri: 'callback' } } })).toBe(
      'clients.public.redirect_uri: must be an absolute http(s) URL (got "callback")',
    );
    expect(reason({ ...minimal, colour: 'blue' })).toMatch(/^colour: unknown field/);
    expect(reason({ ...minimal, login: { mode: 'browser', steps: [] } })).toMatch(/^login\.steps:/);
    expect(reason({ ...minimal, login: { mode: 'magic' } })).toMatch(/^login\.mode:/);
    expect(reason({ ...minimal, timeoutMs: -1 })).toMatch(/^timeoutMs:/);
    expect(reason('not an object')).toMatch(/^\(root\):/);
  });

  it('refuses plain http unless the target allows it', () => {
    expect(reason({ name: 'x', issuer: 'http://127.0.0.1:9000' })).toMatch(
      /^issuer: uses http:\/\/ but "allowInsecureHttp"/,
    );
    expect(reason({ name: 'x', issuer: 'http://127.0.0.1:9000', allowInsecureHttp: true })).toBe('accepted');
  });

  it('declares exactly the hosts the harness may contact', () => {
    const target = parseTargetFile({
      ...minimal,
      issuer: 'https://login.acme.example/t/1',
      tokenLab: { issuer: 'http://127.0.0.1:7777' },
      allowHosts: ['cdn.acme.example'],
    });
    expect(declaredHosts(target)).toEqual([
      'mcp.acme.example',
      'login.acme.example',
      '127.0.0.1:7777',
      'cdn.acme.example',
    ]);
  });
});
