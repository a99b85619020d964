import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OFFICIAL_STATUS, toOfficialChecks } from './checks-json.ts';
import { escapeMarkup } from './format.ts';
import { renderHtml } from './html.ts';
import { REPORT_FILES, writeReports } from './index.ts';
import { toReportDocument } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { SAMPLE_JWT, sampleCheck, sampleRun } from './sample-run.ts';

const HOSTILE = `<script>alert("x")</script> & 'quoted' \u0007bell ]]>`;

describe('report.json', () => {
  it('has exactly the contract fields, in the contract order', () => {
    const document = toReportDocument(sampleRun());
    expect(Object.keys(document)).toEqual([
      'tool',
      'target',
      'spec',
      'seed',
      'startedAt',
      'durationMs',
      'summary',
      'checks',
    ]);
    expect(Object.keys(document.summary)).toEqual(['PASS', 'FAIL', 'WARN', 'SKIP', 'INFO']);
    expect(document.summary).toEqual({ PASS: 1, FAIL: 1, WARN: 1, SKIP: 1, INFO: 1 });
    const check = document.checks[0]!;
    expect(Object.keys(check)).toEqual([
      'id',
      'suite',
      'title',
      'requirements',
      'level',
      'status',
      'message',
      'evidence',
    ]);
    expect(Object.keys(check.evidence[0]!)).toEqual(['request', 'response']);
    expect(Object.keys(check.evidence[0]!.request)).toEqual(['method', 'url', 'headers', 'body']);
    expect(Object.keys(check.evidence[0]!.response!)).toEqual(['status', 'headers', 'body']);
  });

  it('carries the reason when an exchange got no response', () => {
    const check = sampleCheck({
      evidence: [{ ...sampleCheck().evidence[0]!, response: undefined, error: 'ECONNREFUSED' }],
    });
    const [exchange] = toReportDocument(sampleRun([check])).checks[0]!.evidence;
    expect(Object.keys(exchange!)).toEqual(['request', 'error']);
  });
});

describe('checks.json', () => {
  it('maps every status to the official one', () => {
    expect(OFFICIAL_STATUS).toEqual({
      PASS: 'SUCCESS',
      FAIL: 'FAILURE',
      WARN: 'WARNING',
      SKIP: 'SKIPPED',
      INFO: 'INFO',
    });
    const checks = toOfficialChecks(sampleRun());
    expect(checks.map((check) => check.status)).toEqual(['SUCCESS', 'FAILURE', 'WARNING', 'SKIPPED', 'INFO']);
  });

  it('uses the official field names and sets errorMessage only on failures and warnings', () => {
    const [pass, fail, warn] = toOfficialChecks(sampleRun());
    expect(Object.keys(fail!)).toEqual([
      'id',
      'name',
      'description',
      'status',
      'timestamp',
      'specReferences',
      'details',
      'errorMessage',
    ]);
    expect(pass!.errorMessage).toBeUndefined();
    expect(warn!.errorMessage).toBe('scopes_supported is missing');
    expect(fail!.specReferences).toEqual([
      { id: 'AS-PKCE-S256', url: 'https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization' },
      { id: 'R7636-S256', url: 'https://www.rfc-editor.org/rfc/rfc7636.html' },
    ]);
    expect(fail!.details.exchanges).toEqual(['POST https://as.reference.test/token → 200']);
  });
});

describe('junit.xml', () => {
  it('has one testsuite per suite and the outcome element each status calls for', () => {
    const xml = renderJunit(sampleRun());
    expect(xml.match(/<testsuite /g)).toHaveLength(3);
    expect(xml).toContain('<testsuite name="pkce" tests="2" failures="1" errors="0" skipped="0"');
    expect(xml).toContain('<testcase classname="pkce" name="pkce.rejects-plain: The authorization endpoint');
    expect(xml).toContain(
      '<failure message="[AS-PKCE-S256, R7636-S256] AS-PKCE-REQUIRED: an authorization request without code_challenge was accepted." type="MUST">',
    );
    expect(xml).toContain('Requirements: AS-PKCE-S256, R7636-S256 (MUST)');
    expect(xml).toContain('<skipped message="the target does not advertise client_id_metadata_document_supported"/>');
    expect(xml).toContain('<system-out>WARN: scopes_supported is missing</system-out>');
  });

  it('escapes markup and drops characters XML cannot hold', () => {
    const xml = renderJunit(
      sampleRun([sampleCheck({ title: HOSTILE, status: 'FAIL', message: `${HOSTILE}\nline 2` })]),
    );
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain('\u0007');
    expect(xml).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;quoted&apos;');
    expect(xml).toContain(']]&gt;');
  });
});

describe('escapeMarkup', () => {
  it('escapes the five XML specials', () => {
    expect(escapeMarkup(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('summary.md', () => {
  it('has a header, a table per suite and the failures and warnings in full', () => {
    const markdown = renderMarkdown(sampleRun());
    expect(markdown).toMatch(/^# MCP authorization conformance: reference\n/);
    expect(markdown).toContain('- **Spec:** 2025-11-25');
    expect(markdown).toContain('1 PASS · 1 FAIL · 1 WARN · 1 SKIP · 1 INFO');
    expect(markdown).toContain('## pkce');
    expect(markdown).toContain('## discovery');
    expect(markdown).toContain('| FAIL | `pkce.rejects-missing-challenge` | MUST | AS-PKCE-S256, R7636-S256 |');
    expect(markdown).toContain('## Failures and warnings');
    expect(markdown).toContain('> Require S256 PKCE.');
    expect(markdown).toContain('First exchange: `POST https://as.reference.test/token → 200`');
  });

  it('keeps pipes and line breaks from breaking table rows', () => {
    const markdown = renderMarkdown(sampleRun([sampleCheck({ message: 'a | b\nsecond line' })]));
    expect(markdown).toContain('| a \\| b |');
  });
});

describe('report.html', () => {
  it('is self-contained and escapes everything it shows', () => {
    const html = renderHtml(sampleRun([sampleCheck({ title: HOSTILE, message: HOSTILE })]));
    expect(html).not.toMatch(/<script|<link|src=|@import/);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<details class="check status-PASS">');
    expect(html).toContain('<details class="exchange">');
  });

  it('offers a filter for every status', () => {
    const html = renderHtml(sampleRun());
    for (const status of ['all', 'PASS', 'FAIL', 'WARN', 'SKIP', 'INFO']) {
      expect(html).toContain(`id="filter-${status}"`);
    }
    expect(html).toContain('#filter-FAIL:checked ~ main .check:not(.status-FAIL) { display: none; }');
  });
});

describe('writeReports', () => {
  const directories: string[] = [];
  afterAll(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  it('creates the folder, writes all five reports and redacts them', async () => {
    const root = await mkdtemp(join(tmpdir(), 'reports-'));
    directories.push(root);
    const paths = await writeReports(sampleRun(), join(root, 'nested', 'out'));
    expect(paths.map((path) => basename(path))).toEqual(REPORT_FILES.map((file) => file.name));
    for (const path of paths) expect(await readFile(path, 'utf8')).not.toContain(SAMPLE_JWT);
    const report = JSON.parse(await readFile(paths[0]!, 'utf8')) as { checks: unknown[] };
    expect(report.checks).toHaveLength(5);
  });

  it('keeps secrets with reveal', async () => {
    const root = await mkdtemp(join(tmpdir(), 'reports-'));
    directories.push(root);
    const [reportPath] = await writeReports(sampleRun(), root, { reveal: true });
    expect(await readFile(reportPath!, 'utf8')).toContain(SAMPLE_JWT);
  });
});
