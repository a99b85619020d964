import { describe, expect, it } from 'vitest';
import type { SimulationResult } from '../../harness/simulation/types.ts';
import { renderSimulationHtml, VIOLATIONS_SHOWN } from './html.ts';
import { emptySimulationResult, sampleSimulationResult } from './sample.ts';

const HOSTILE = '<script>alert("x")</script>';

function svgs(html: string): string[] {
  return html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
}

function chartSvg(html: string, id: string): string {
  const svg = svgs(html).find((markup) => markup.includes(`aria-labelledby="${id}-title ${id}-desc"`));
  if (!svg) throw new Error(`no svg for ${id}`);
  return svg;
}

function hostileResult(): SimulationResult {
  const sample = sampleSimulationResult();
  const [outage, ...otherFaults] = sample.faults;
  const [firstStep, ...otherSteps] = sample.steps;
  return {
    ...sample,
    scenario: { name: HOSTILE, description: HOSTILE, file: HOSTILE },
    target: { name: HOSTILE, kind: 'target-file' },
    faults: [
      { ...outage!, fault: { ...outage!.fault, kind: HOSTILE, label: HOSTILE }, failuresDuring: { [HOSTILE]: 3 } },
      ...otherFaults,
    ],
    steps: [{ ...firstStep!, step: HOSTILE, errors: { [HOSTILE]: 5 } }, ...otherSteps],
    invariants: [
      {
        invariant: HOSTILE,
        description: HOSTILE,
        checked: 1,
        violations: [{ invariant: HOSTILE, atS: 1, actor: HOSTILE, message: HOSTILE }],
      },
    ],
  };
}

describe('renderSimulationHtml', () => {
  it('draws one accessible svg per chart, each with a data table', () => {
    const html = renderSimulationHtml(sampleSimulationResult());
    const drawn = svgs(html);
    expect(drawn).toHaveLength(4);
    for (const id of ['chart-outcomes', 'chart-latency', 'chart-steps', 'chart-errors']) {
      const svg = chartSvg(html, id);
      expect(svg).toContain('role="img"');
      expect(svg).toMatch(new RegExp(`<title id="${id}-title">[^<]+</title>`));
      expect(svg).toMatch(new RegExp(`<desc id="${id}-desc">[^<]+</desc>`));
    }
    expect(html.match(/<summary>Data table<\/summary>\s*<table>/g)).toHaveLength(4);
  });

  it('is self-contained: no scripts, no external resources', () => {
    const html = renderSimulationHtml(sampleSimulationResult());
    expect(html).not.toMatch(/<script|<link|<img|src=|@import|url\(/i);
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('shades every fault window on both time charts and labels it', () => {
    const html = renderSimulationHtml(sampleSimulationResult());
    for (const id of ['chart-outcomes', 'chart-latency']) {
      const svg = chartSvg(html, id);
      expect(svg.match(/<g class="fault">/g)).toHaveLength(3);
      expect(svg.match(/fill-opacity="0\.22"/g)).toHaveLength(2);
      expect(svg).toContain('stroke-dasharray');
      for (const tag of ['F1 idp-outage', 'F2 jwks-rotation', 'F3 idp-latency'])
        expect(svg).toContain(`>${tag}</text>`);
      expect(svg).toContain('F1 upstream OIDC IdP down: 2 min – 4 min');
    }
    expect(html).toContain('F1 upstream OIDC IdP down (idp-outage, 2 min – 4 min)');
  });

  it('places a fault band where its window is on the time axis', () => {
    const html = renderSimulationHtml(sampleSimulationResult());
    const svg = chartSvg(html, 'chart-outcomes');
    const band = svg.match(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*fill-opacity/);
    // 600 s over x 60..688: the outage 120–240 s starts at 60 + 628 * 0.2 and is 628 * 0.2 wide.
    expect(Number(band?.[1])).toBeCloseTo(185.6, 0);
    expect(Number(band?.[2])).toBeCloseTo(125.6, 0);
  });

  it('escapes names that come from scenario files and targets', () => {
    const html = renderSimulationHtml(hostileResult());
    expect(html).not.toContain('<script');
    expect(html).not.toContain('"x")');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(svgs(html)).toHaveLength(4);
  });

  it('lists invariants with PASS, FAIL and SKIP, and their violations', () => {
    const html = renderSimulationHtml(sampleSimulationResult());
    expect(html).toMatch(/<code>no-5xx<\/code>[\s\S]*?status-PASS[\s\S]*?none<\/td>/);
    expect(html).toMatch(/<code>no-token-after-revocation<\/code>[\s\S]*?status-FAIL/);
    expect(html).toContain('<li>at 2 min 13.5 s, <code>user-0007</code>: revoked token accepted</li>');
    expect(html).toMatch(/<code>no-lost-consent<\/code>[\s\S]*?status-SKIP[\s\S]*?not checked/);
  });

  it('lists only the first violations of a noisy invariant', () => {
    const violation = { invariant: 'no-5xx', atS: 3, actor: 'user-1', message: '502 from /token' };
    const html = renderSimulationHtml(
      sampleSimulationResult({
        invariants: [
          { invariant: 'no-5xx', description: 'no 5xx', checked: 50, violations: Array(25).fill(violation) },
        ],
      }),
    );
    expect(html.match(/502 from \/token/g)).toHaveLength(VIOLATIONS_SHOWN);
    expect(html).toContain('… and 5 more (all in simulation.json)');
  });

  it('reports fault outcomes: before/during/after and recovery', () => {
    const html = renderSimulationHtml(sampleSimulationResult());
    expect(html).toMatch(
      /F1 upstream OIDC IdP down<\/td>[\s\S]*?99\.0 %[\s\S]*?55\.0 %[\s\S]*?97\.0 %[\s\S]*?recovered after 30 s/,
    );
    expect(html).toMatch(/F3 upstream OIDC IdP \+800 ms<\/td>[\s\S]*?did not recover/);
    expect(html).toMatch(/<span class="recovered">not affected<\/span>/);
    expect(html).toContain('interactive-user/authorize: 310, ciba-agent/backchannel-authorize: 40');
  });

  it('says when nobody was left to judge a recovery, and when a span had no traffic', () => {
    const sample = sampleSimulationResult();
    const [first] = sample.faults;
    const unjudged = {
      ...first!,
      successRateAfter: null,
      recovery: 'no-traffic-after' as const,
      recoveredAfterS: null,
    };
    const html = renderSimulationHtml({ ...sample, faults: [unjudged] });
    expect(html).toMatch(/no traffic<\/td>[\s\S]*?<span class="not-recovered">unknown: no traffic after the window/);
  });

  it('shows the totals', () => {
    const html = renderSimulationHtml(sampleSimulationResult());
    for (const fact of [
      '<dt>Tokens issued</dt><dd>2,415</dd>',
      '<dt>Refresh churn</dt><dd>61.9 refresh tokens rotated / min</dd>',
      '<dt>Journeys</dt><dd>520 started, 471 completed (90.6 %)</dd>',
      '<dt>Wall time</dt><dd>4.32 s</dd>',
      '<dt>Peak RSS</dt><dd>178.3 MiB</dd>',
      '<dt>Agents</dt><dd>50 (at most 64 in flight)</dd>',
      '<dt>Seed</dt><dd>7</dd>',
    ]) {
      expect(html).toContain(fact);
    }
  });

  it('renders an empty run without NaN or Infinity', () => {
    const html = renderSimulationHtml(emptySimulationResult());
    expect(html).not.toMatch(/NaN|Infinity/);
    expect(svgs(html)).toHaveLength(4);
    expect(html).toContain('No time buckets recorded');
    expect(html).toContain('No steps recorded');
    expect(html).toContain('No faults were injected.');
    expect(html).toContain('Successful and failed steps over simulated time');
  });

  it('draws figures that are not finite as zero and prints them as a dash', () => {
    const sample = sampleSimulationResult();
    const html = renderSimulationHtml({
      ...sample,
      durationS: Number.NaN,
      timeline: {
        bucketS: 30,
        buckets: [
          { startS: 0, attempts: 4, successes: 4, failures: 0, p95Ms: Number.NaN, activeActors: 1 },
          { startS: 30, attempts: 0, successes: 0, failures: 0, p95Ms: 0, activeActors: 0 },
          { startS: 60, attempts: 2, successes: 1, failures: 1, p95Ms: Number.POSITIVE_INFINITY, activeActors: 1 },
        ],
      },
      faults: sample.faults.map((outcome) => ({ ...outcome, successRateDuring: Number.NaN })),
      steps: sample.steps.map((step) => ({ ...step, latencyMs: { ...step.latencyMs, p99: Number.NaN } })),
      totals: { ...sample.totals, refreshChurnPerMinute: Number.POSITIVE_INFINITY },
    });
    expect(html).not.toMatch(/NaN|Infinity/);
    expect(svgs(html)).toHaveLength(4);
  });

  it('breaks the latency line at buckets without traffic', () => {
    const sample = sampleSimulationResult();
    const buckets = sample.timeline.buckets.map((bucket, index) =>
      index === 5 ? { ...bucket, attempts: 0, successes: 0, failures: 0, p95Ms: 0 } : bucket,
    );
    const html = renderSimulationHtml({ ...sample, timeline: { ...sample.timeline, buckets } });
    const path = chartSvg(html, 'chart-latency').match(/<path d="([^"]+)"/)?.[1] ?? '';
    expect(path.match(/M/g)).toHaveLength(2);
    expect(path.match(/L/g)).toHaveLength(buckets.length - 3);
  });
});
