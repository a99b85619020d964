import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findChromium } from '../harness/login/chromium.ts';
import { type ServedReferenceSystem, serveReferenceSystem } from '../reference-server/serve.ts';
import { REFERENCE_REDIRECT_URI, REFERENCE_SCOPES } from '../reference-server/system.ts';
import { JOURNEYS, runJourney } from '../reference-server/walkthrough/journeys.ts';
import type { Benchmark } from './benchmark.ts';
import { median } from './stats.ts';

/** Browser journeys through the served reference system's real pages, timed after the browser is up. */
const TIMED_ROUNDS = 5;

function newPerson(served: ServedReferenceSystem, round: number): { email: string; password: string } {
  const person = {
    id: `bench-${round}-${crypto.randomUUID()}`,
    email: `bench-${round}-${crypto.randomUUID().slice(0, 8)}@corp.example`,
    password: 'bench-password',
    name: `Bench Person ${round}`,
    roles: ['engineer'],
  };
  served.idps.homegrown?.addUser(person);
  return person;
}

async function benchJourneys(write: (line: string) => void): Promise<void> {
  const executablePath = findChromium();
  if (!executablePath) {
    write('browser journeys: skipped (no Chromium; apt-get install chromium)\n');
    return;
  }
  const served = await serveReferenceSystem({ port: 0 });
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
  try {
    const target = {
      issuer: served.urls.issuer,
      resource: served.urls.resource,
      redirectUri: REFERENCE_REDIRECT_URI,
      scopes: REFERENCE_SCOPES,
    };
    const page = await browser.newPage();
    for (const name of JOURNEYS) await runJourney(page, target, name);
    write('\nbrowser journeys (ms, after a warm-up round; the browser is already up)\n');
    write('journey           min  median     max\n');
    for (const name of JOURNEYS) {
      const times: number[] = [];
      for (let round = 0; round < TIMED_ROUNDS; round++) {
        await page.context().clearCookies();
        // A TOTP code is good once per user and time step (RFC 6238 §5.2): each MFA round is someone new.
        const user = name === 'mfa' ? newPerson(served, round) : undefined;
        const started = performance.now();
        await runJourney(page, user ? { ...target, user } : target, name);
        times.push(performance.now() - started);
      }
      write(
        `${name.padEnd(16)} ${Math.min(...times)
          .toFixed(0)
          .padStart(4)} ${median(times).toFixed(0).padStart(7)} ` +
          `${Math.max(...times)
            .toFixed(0)
            .padStart(7)}\n`,
      );
    }
  } finally {
    await browser.close();
    await served.close();
  }
}

export const journeysBenchmark: Benchmark = {
  name: 'journeys',
  title: 'browser journeys through the served reference system (Chromium; no target set)',
  async run(options) {
    await benchJourneys(options.write);
    return [];
  },
};
