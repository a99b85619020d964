import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BrowserContext,
  type CDPSession,
  chromium,
  type Locator,
  type Page,
  type Request as PageRequest,
} from 'playwright-core';
import { type Network, NetworkError } from '../network/network.ts';
import type { RecordedExchange, RecordedRequest, RecordedResponse } from '../network/types.ts';
import { endsAttempt } from './auto.ts';
import { CHROMIUM_ARGS, findChromium } from './chromium.ts';
import type { AuthorizationAttempt, AuthorizationResponse, LoginDriver } from './types.ts';

/** One action of a login recipe; `value` may hold `{{username}}` and `{{password}}`. */
export interface BrowserStep {
  fill?: string;
  value?: string;
  click?: string;
  waitFor?: string;
  /** Skipped when its selector does not show up (e.g. a login form a remembered session no longer needs). */
  optional?: boolean;
}

export interface BrowserLoginOptions {
  steps: BrowserStep[];
  user?: { username: string; password: string };
  /** How long each step waits for its selector, and how long the driver waits for the redirect after the last step. */
  stepTimeoutMs?: number;
  headed?: boolean;
  network: Network;
  /** Origins the page may load besides those the network allows (e.g. a CDN serving the login page's assets). */
  allowedOrigins?: string[];
  /** Receives every main-frame and fetch/xhr exchange of an attempt, in request order, in the caller's async scope. */
  onExchange?: (exchange: RecordedExchange) => void;
}

const DEFAULT_STEP_TIMEOUT_MS = 5000;
const MAX_PAGE_TEXT = 4096;
const MAX_EVIDENCE_BODY = 16 * 1024;
const REDACTED = '[redacted]';
const CAPTURED_PAGE =
  '<!doctype html><title>Authorization response captured</title><link rel="icon" href="data:,">' +
  '<p>The authorization server redirected to the redirect URI; the conformance harness took the response.</p>';

/**
 * `login.mode: "browser"`: a real Chromium runs the target's login recipe. One browser context serves every attempt, so
 * cookies persist like a user's browser and a second authorization may skip the login.
 *
 * Every request of the page passes a gate (Chrome DevTools `Fetch` interception, which unlike Playwright's routes also
 * sees each hop of a redirect chain): a request that reaches the redirect URI (the requested one or the client's registered
 * one) ends the attempt and is answered locally, so it is never contacted; origins the target did not declare are refused.
 */
export async function browserLoginDriver(options: BrowserLoginOptions): Promise<LoginDriver> {
  assertUserForPlaceholders(options.steps, options.user);
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error('browser login needs Chromium: install it (apt-get install chromium) or set CHROMIUM_PATH');
  }
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: !options.headed });
  const context = await browser.newContext({ serviceWorkers: 'block' }).catch(async (error: unknown) => {
    await browser.close();
    throw error;
  });
  let previous: Promise<unknown> = Promise.resolve();
  return {
    mode: 'browser',
    authorize(attempt: AuthorizationAttempt): Promise<AuthorizationResponse> {
      const inCallerScope = AsyncLocalStorage.snapshot();
      const record = (exchange: RecordedExchange) => inCallerScope(() => options.onExchange?.(exchange));
      const run = previous.then(() => runAttempt(context, options, attempt, record));
      previous = run.catch(() => undefined);
      return run;
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}

/** Substitutes `{{username}}` and `{{password}}` in a step value. */
export function fillTemplate(template: string, user: BrowserLoginOptions['user']): string {
  return template.replaceAll('{{username}}', user?.username ?? '').replaceAll('{{password}}', user?.password ?? '');
}

function assertUserForPlaceholders(steps: BrowserStep[], user: BrowserLoginOptions['user']): void {
  if (user) return;
  const needy = steps.find((step) => /\{\{(username|password)\}\}/.test(step.value ?? ''));
  if (needy) {
    throw new Error(`login step filling "${needy.fill}" uses ${needy.value} but the target file has no "user"`);
  }
}

async function runAttempt(
  context: BrowserContext,
  options: BrowserLoginOptions,
  attempt: AuthorizationAttempt,
  record: (exchange: RecordedExchange) => void,
): Promise<AuthorizationResponse> {
  const page = await context.newPage();
  const stopped = new AbortController();
  const evidence = watchExchanges(page, attempt, options.user?.password);
  let gate: RequestGate | undefined;
  try {
    page.setDefaultNavigationTimeout(options.network.timeoutMs);
    gate = await gateRequests(context, page, attempt, allowedBy(options));
    const { captured } = gate;
    const login = driveLogin(page, attempt.url, options, stopped.signal);
    login.catch(() => undefined); // once the redirect wins, the abandoned recipe may fail as the page closes
    const outcome = await Promise.race([captured, login]);
    if (outcome instanceof URL) return { kind: 'redirect', url: outcome };
    return await describeRefusal(page, evidence.lastStatus());
  } finally {
    stopped.abort();
    for (const exchange of await evidence.collected()) record(exchange);
    await gate?.release(page);
    await page.close();
  }
}

function allowedBy({ network, allowedOrigins = [] }: BrowserLoginOptions): (url: URL) => boolean {
  const extra = new Set(allowedOrigins.map((origin) => new URL(origin).origin));
  return (url) => network.isAllowed(url) || extra.has(url.origin);
}

interface RequestGate {
  captured: Promise<URL>;
  /** Ends the attempt: refuses every further request, leaves the page on about:blank, stops intercepting. */
  release(page: Page): Promise<void>;
}

/**
 * Intercepts every request of `page` before it leaves the browser. `captured` resolves with the URL of the first request
 * that reaches the redirect URI (answered with a local page); origins `isAllowed` rejects are refused; the rest pass.
 */
async function gateRequests(
  context: BrowserContext,
  page: Page,
  attempt: AuthorizationAttempt,
  isAllowed: (url: URL) => boolean,
): Promise<RequestGate> {
  const session = await context.newCDPSession(page);
  let capture: (url: URL) => void = () => undefined;
  const captured = new Promise<URL>((resolve) => {
    capture = resolve;
  });
  let released = false;
  session.on('Fetch.requestPaused', (event) => {
    // Fragments never go on the wire; CDP reports them apart (an implicit-style error answer lives in the fragment).
    const url = new URL(event.request.url + (event.request.urlFragment ?? ''));
    const allowed = (candidate: URL) => !released && isAllowed(candidate);
    void answerPausedRequest(session, event.requestId, url, attempt, allowed).catch(() => undefined);
    if (endsAttempt(url, attempt)) {
      released = true; // the attempt is over: nothing more leaves the page (not even the captured page's favicon)
      capture(url);
    }
  });
  await session.send('Fetch.enable', { patterns: [{ urlPattern: '*', requestStage: 'Request' }] });
  return {
    captured,
    async release(page) {
      released = true;
      await page.goto('about:blank').catch(() => undefined);
      await session.detach().catch(() => undefined);
    },
  };
}

function answerPausedRequest(
  session: CDPSession,
  requestId: string,
  url: URL,
  attempt: AuthorizationAttempt,
  isAllowed: (url: URL) => boolean,
): Promise<unknown> {
  if (endsAttempt(url, attempt)) {
    return session.send('Fetch.fulfillRequest', {
      requestId,
      responseCode: 200,
      responseHeaders: [{ name: 'content-type', value: 'text/html; charset=utf-8' }],
      body: Buffer.from(CAPTURED_PAGE).toString('base64'),
    });
  }
  const isWebRequest = url.protocol === 'http:' || url.protocol === 'https:';
  if (isWebRequest && !isAllowed(url)) {
    return session.send('Fetch.failRequest', { requestId, errorReason: 'BlockedByClient' });
  }
  return session.send('Fetch.continueRequest', { requestId });
}

/** Loads the authorization URL, runs the recipe, then gives the AS one more step timeout to redirect. */
async function driveLogin(page: Page, url: URL, options: BrowserLoginOptions, stopped: AbortSignal): Promise<void> {
  const timeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  await openAuthorizationUrl(page, url);
  const completed = await runSteps(page, options.steps, options.user, timeoutMs);
  if (completed) await sleep(timeoutMs, undefined, { signal: stopped }).catch(() => undefined);
}

async function openAuthorizationUrl(page: Page, url: URL): Promise<void> {
  try {
    await page.goto(url.href, { waitUntil: 'domcontentloaded' });
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw new NetworkError(`the browser could not load the authorization URL: ${reason}`, url.href);
  }
}

/** Runs the steps in order; false when a required step's selector never appeared (the AS showed something else). */
async function runSteps(
  page: Page,
  steps: BrowserStep[],
  user: BrowserLoginOptions['user'],
  timeoutMs: number,
): Promise<boolean> {
  for (const [index, step] of steps.entries()) {
    const target = await awaitStepTarget(page, steps, index, timeoutMs);
    if (target === 'recipe-absent') return steps.slice(index).every((rest) => rest.optional);
    if (target === 'skip') continue;
    if (target === 'missing') return false;
    const done = await performStep(page.locator(selectorOf(step)).first(), step, user, timeoutMs);
    if (!done && !step.optional) return false;
  }
  return true;
}

type StepTarget = 'present' | 'missing' | 'skip' | 'recipe-absent';

/**
 * Waits for the step's element. An optional step also gives up as soon as a later step's element shows instead
 * (a remembered session jumped past it), so skipping it costs no timeout; when nothing of the rest of the recipe
 * shows at all, the page is something else (an error) and the remaining steps are not awaited one by one.
 */
async function awaitStepTarget(
  page: Page,
  steps: BrowserStep[],
  index: number,
  timeoutMs: number,
): Promise<StepTarget> {
  const step = steps[index]!;
  const own = page.locator(selectorOf(step));
  if (!step.optional) return (await becomesVisible(own.first(), timeoutMs)) ? 'present' : 'missing';
  const anyLater = steps.slice(index + 1).reduce((union, later) => union.or(page.locator(selectorOf(later))), own);
  if (!(await becomesVisible(anyLater.first(), timeoutMs))) return 'recipe-absent';
  const ownVisible = await own
    .first()
    .isVisible()
    .catch(() => false);
  return ownVisible ? 'present' : 'skip';
}

async function performStep(
  target: Locator,
  step: BrowserStep,
  user: BrowserLoginOptions['user'],
  timeoutMs: number,
): Promise<boolean> {
  try {
    if (step.fill !== undefined) await target.fill(fillTemplate(step.value ?? '', user), { timeout: timeoutMs });
    else if (step.click !== undefined) await target.click({ timeout: timeoutMs });
    return true;
  } catch {
    return false;
  }
}

function selectorOf(step: BrowserStep): string {
  const selector = step.fill ?? step.click ?? step.waitFor;
  if (!selector) throw new Error(`login step ${JSON.stringify(step)} names no selector (fill, click or waitFor)`);
  return selector;
}

async function becomesVisible(target: Locator, timeoutMs: number): Promise<boolean> {
  try {
    await target.waitFor({ state: 'visible', timeout: timeoutMs });
    return true;
  } catch {
    return false;
  }
}

async function describeRefusal(page: Page, status: number): Promise<AuthorizationResponse> {
  const text = await page
    .locator('body')
    .innerText({ timeout: 1000 })
    .catch(() => page.content().catch(() => ''));
  return { kind: 'no-redirect', status, url: page.url(), body: text.slice(0, MAX_PAGE_TEXT) };
}

interface ExchangeWatch {
  /** Status of the last main-frame navigation response (0 before any). */
  lastStatus(): number;
  /** The attempt's exchanges so far, in request order. */
  collected(): Promise<RecordedExchange[]>;
}

/** Records the page's main-frame navigations and fetch/xhr calls (the redirect URI excluded: it was never contacted). */
function watchExchanges(page: Page, attempt: AuthorizationAttempt, password: string | undefined): ExchangeWatch {
  let lastStatus = 0;
  const pending: Promise<RecordedExchange>[] = [];
  const isEvidence = (request: PageRequest) =>
    (isMainFrameNavigation(page, request) || ['fetch', 'xhr'].includes(request.resourceType())) &&
    !endsAttempt(new URL(request.url()), attempt);
  page.on('response', (response) => {
    if (isMainFrameNavigation(page, response.request())) lastStatus = response.status();
  });
  page.on('requestfinished', (request) => {
    if (isEvidence(request)) pending.push(describeExchange(request, password));
  });
  page.on('requestfailed', (request) => {
    if (isEvidence(request)) pending.push(describeFailure(request, password));
  });
  return {
    lastStatus: () => lastStatus,
    async collected() {
      const settled = await Promise.allSettled(pending);
      const exchanges = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      return exchanges.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    },
  };
}

function isMainFrameNavigation(page: Page, request: PageRequest): boolean {
  try {
    return request.isNavigationRequest() && request.frame() === page.mainFrame();
  } catch {
    return false;
  }
}

async function describeExchange(request: PageRequest, password: string | undefined): Promise<RecordedExchange> {
  const response = await request.response();
  const recordedResponse: RecordedResponse | undefined = response
    ? {
        status: response.status(),
        headers: await response.allHeaders(),
        ...(await readBody(() => response.text())),
      }
    : undefined;
  return {
    request: await describeRequest(request, password),
    ...(recordedResponse ? { response: recordedResponse } : {}),
    ...timingOf(request),
  };
}

async function describeFailure(request: PageRequest, password: string | undefined): Promise<RecordedExchange> {
  const failure = request.failure()?.errorText ?? 'failed';
  const error = failure.includes('ERR_BLOCKED_BY_CLIENT')
    ? `refused: ${new URL(request.url()).origin} is not declared in the target (${failure})`
    : failure;
  return { request: await describeRequest(request, password), error, ...timingOf(request) };
}

async function describeRequest(request: PageRequest, password: string | undefined): Promise<RecordedRequest> {
  const body = request.postData();
  return {
    method: request.method(),
    url: request.url(),
    headers: await request.allHeaders(),
    ...(body ? { body: redactPassword(clip(body), password) } : {}),
  };
}

/** Redirect responses carry no readable body; those are recorded without one. */
async function readBody(read: () => Promise<string>): Promise<{ body?: string }> {
  try {
    const body = await read();
    return body ? { body: clip(body) } : {};
  } catch {
    return {};
  }
}

function timingOf(request: PageRequest): Pick<RecordedExchange, 'startedAt' | 'durationMs'> {
  const timing = request.timing();
  const startedAt = timing.startTime > 0 ? new Date(timing.startTime) : new Date();
  return { startedAt: startedAt.toISOString(), durationMs: Math.max(0, Math.round(timing.responseEnd)) };
}

/** The user's password never lands in evidence, whether sent raw, form-encoded or URI-encoded. */
function redactPassword(text: string, password: string | undefined): string {
  if (!password) return text;
  const spellings = new Set([
    password,
    new URLSearchParams({ p: password }).toString().slice(2),
    encodeURIComponent(password),
  ]);
  let redacted = text;
  for (const spelling of spellings) redacted = redacted.replaceAll(spelling, REDACTED);
  return redacted;
}

function clip(text: string): string {
  return text.length > MAX_EVIDENCE_BODY ? `${text.slice(0, MAX_EVIDENCE_BODY)}… [${text.length} chars]` : text;
}
