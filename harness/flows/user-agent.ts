/**
 * A browser without a browser: follows redirects by hand, keeps cookies per host, reads HTML forms and submits them.
 * The byoa and federation suites drive a target's flow pages with it (the page conventions are in the README); it
 * stops at the client's redirect URI, which is never contacted.
 */
import { parse as parseHtml } from 'node-html-parser';
import { reachesRedirectUri } from '../login/auto.ts';
import { NetworkError } from '../network/network.ts';
import type { Fetch } from '../network/types.ts';

const MAX_HOPS = 15;
const MAX_PAGE_TEXT = 4096;

/** One request the agent made and how it was answered. */
export interface Hop {
  method: string;
  url: string;
  status: number;
  location?: string;
}

export interface FormInput {
  name: string;
  type: string;
}

export interface PageForm {
  action: URL;
  method: 'GET' | 'POST';
  /** Every named input with its value (hidden fields, pre-filled values). */
  values: Record<string, string>;
  inputs: FormInput[];
  /** Submit buttons that carry a name (e.g. decision=approve). */
  buttons: { name: string; value: string }[];
}

/** The agent stopped on a page of its own (a screen, an error page). */
export interface PageStop {
  kind: 'page';
  url: URL;
  status: number;
  contentType: string;
  body: string;
  /** The visible text, whitespace collapsed (first 4 KiB). */
  text: string;
  forms: PageForm[];
  /** The text of the first non-empty element with role="alert". */
  alert: string | undefined;
  hops: Hop[];
}

/** The agent reached the client's redirect URI (never contacted): the authorization response. */
export interface RedirectStop {
  kind: 'redirect';
  url: URL;
  params: URLSearchParams;
  hops: Hop[];
}

export type Stop = PageStop | RedirectStop;

export interface UserAgentOptions {
  /** Redirect URIs that end the journey (each is never contacted). */
  stopAt: string[];
  /**
   * Called before each redirect is followed: return another URL to go there instead (a tampered callback), or 'stop'
   * to end the journey on that hop (reported as a redirect stop).
   */
  onRedirect?: (url: URL) => URL | 'stop';
  /** Auto-submitting forms (SAML POST binding) are submitted as a browser would; default true. */
  followAutoPost?: boolean;
}

export interface SubmitOptions {
  /** The named submit button to press. */
  button?: { name: string; value: string };
  /** Inputs to leave out of the submission (e.g. the CSRF token). */
  omit?: string[];
  /** Which form of the page (default 0). */
  formIndex?: number;
}

export class UserAgent {
  private readonly jar = new Map<string, Map<string, string>>();

  constructor(
    private readonly fetch: Fetch,
    private readonly options: UserAgentOptions,
  ) {}

  setCookie(url: string | URL, name: string, value: string): void {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    cookies.set(name, value);
    this.jar.set(host, cookies);
  }

  /** A new agent with the same options and no cookies: another browser. */
  another(): UserAgent {
    return new UserAgent(this.fetch, this.options);
  }

  open(url: string | URL): Promise<Stop> {
    return this.navigate(new URL(url), { method: 'GET' }, []);
  }

  /** Submits a page's form with its own values, `fill` on top. */
  submit(page: PageStop, fill: Record<string, string>, options: SubmitOptions = {}): Promise<Stop> {
    const form = page.forms[options.formIndex ?? 0];
    if (!form) throw new NetworkError('the page has no form to submit', page.url.href);
    const fields = new URLSearchParams();
    for (const [name, value] of Object.entries({ ...form.values, ...fill })) {
      if (!options.omit?.includes(name)) fields.set(name, value);
    }
    if (options.button) fields.set(options.button.name, options.button.value);
    return this.send(form.action, form.method, fields);
  }

  /** Sends a form to any URL, as a cross-site or replayed post would. */
  send(url: URL, method: 'GET' | 'POST', fields: URLSearchParams): Promise<Stop> {
    if (method === 'GET') {
      const target = new URL(url);
      for (const [name, value] of fields) target.searchParams.set(name, value);
      return this.navigate(target, { method: 'GET' }, []);
    }
    return this.navigate(
      url,
      { method: 'POST', body: fields.toString(), contentType: 'application/x-www-form-urlencoded' },
      [],
    );
  }

  private async navigate(start: URL, first: RequestShape, hops: Hop[]): Promise<Stop> {
    let url = start;
    let shape = first;
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      if (this.endsJourney(url)) return redirectStop(url, hops);
      const response = await this.fetch(url, this.requestInit(url, shape));
      this.storeCookies(url, response.headers);
      const location = response.headers.get('location');
      hops.push({ method: shape.method, url: url.href, status: response.status, ...(location ? { location } : {}) });
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        const next = new URL(location, url);
        const decision = this.options.onRedirect?.(next) ?? next;
        if (decision === 'stop') return redirectStop(next, hops);
        url = decision;
        // 307/308 repeat the method and body (RFC 9110 §15.4.8); every other redirect becomes a GET.
        shape = response.status === 307 || response.status === 308 ? shape : { method: 'GET' };
        continue;
      }
      const page = await readPage(url, response, hops);
      const autoPost = (this.options.followAutoPost ?? true) ? autoPostForm(page) : undefined;
      if (!autoPost) return page;
      url = autoPost.action;
      shape = {
        method: 'POST',
        body: new URLSearchParams(autoPost.values).toString(),
        contentType: 'application/x-www-form-urlencoded',
      };
    }
    throw new NetworkError(`the flow did not settle within ${MAX_HOPS} requests`, start.href);
  }

  private endsJourney(url: URL): boolean {
    return this.options.stopAt.some((redirectUri) => reachesRedirectUri(url, redirectUri));
  }

  private requestInit(url: URL, shape: RequestShape): RequestInit {
    const headers: Record<string, string> = { accept: 'text/html,application/json;q=0.9' };
    const cookies = this.jar.get(url.host);
    if (cookies && cookies.size > 0) {
      headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    if (shape.contentType) headers['content-type'] = shape.contentType;
    return { method: shape.method, headers, redirect: 'manual', ...(shape.body ? { body: shape.body } : {}) };
  }

  /** RFC 6265 §5.2, host-only: name=value, and Max-Age≤0 or a past Expires deletes. */
  private storeCookies(url: URL, headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const cookies = this.jar.get(url.host) ?? new Map<string, string>();
      if (attributes.some(isDeletion)) cookies.delete(name);
      else cookies.set(name, value);
      this.jar.set(url.host, cookies);
    }
  }
}

interface RequestShape {
  method: 'GET' | 'POST';
  body?: string;
  contentType?: string;
}

function isDeletion(attribute: string): boolean {
  const [name = '', value = ''] = attribute.split('=').map((part) => part.trim());
  if (name.toLowerCase() === 'max-age') return Number(value) <= 0;
  if (name.toLowerCase() === 'expires') return Date.parse(value) < Date.now();
  return false;
}

function redirectStop(url: URL, hops: Hop[]): RedirectStop {
  const params = url.search ? url.searchParams : new URLSearchParams(url.hash.replace(/^#/, ''));
  return { kind: 'redirect', url, params, hops };
}

async function readPage(url: URL, response: Response, hops: Hop[]): Promise<PageStop> {
  const body = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  const html = /html/i.test(contentType);
  const root = html ? parseHtml(body) : undefined;
  const text = (root ? visibleText(body) : body).replace(/\s+/g, ' ').trim().slice(0, MAX_PAGE_TEXT);
  const alert = root
    ?.querySelectorAll('[role="alert"]')
    .map((element) => element.textContent.replace(/\s+/g, ' ').trim())
    .find((content) => content !== '');
  return {
    kind: 'page',
    url,
    status: response.status,
    contentType,
    body,
    text,
    forms: root ? root.querySelectorAll('form').map((form) => readForm(form, url)) : [],
    alert,
    hops,
  };
}

type HtmlElement = ReturnType<typeof parseHtml>;

/** What a person reads: the body's text, block elements apart, without styles, scripts or the doctype. */
function visibleText(html: string): string {
  const root = parseHtml(html);
  for (const hidden of root.querySelectorAll('style, script, template')) hidden.remove();
  return (root.querySelector('body') ?? root).structuredText;
}

function readForm(form: HtmlElement, base: URL): PageForm {
  const values: Record<string, string> = {};
  const inputs: FormInput[] = [];
  const buttons: { name: string; value: string }[] = [];
  for (const element of form.querySelectorAll('input, textarea, select, button')) {
    const name = element.getAttribute('name');
    if (!name) continue;
    const tag = element.tagName.toLowerCase();
    const type = (element.getAttribute('type') ?? (tag === 'button' ? 'submit' : 'text')).toLowerCase();
    if (type === 'submit') {
      buttons.push({ name, value: element.getAttribute('value') ?? '' });
      continue;
    }
    inputs.push({ name, type });
    values[name] = tag === 'textarea' ? element.textContent : (element.getAttribute('value') ?? '');
  }
  const method = (form.getAttribute('method') ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET';
  const action = form.getAttribute('action');
  return { action: action ? new URL(action, base) : base, method, values, inputs, buttons };
}

/** SAML Bindings §3.5.4: a page whose only form posts hidden SAML fields is submitted by the browser at once. */
function autoPostForm(page: PageStop): PageForm | undefined {
  const [form, ...others] = page.forms;
  if (!form || others.length > 0 || form.method !== 'POST') return undefined;
  const samlField = form.inputs.some((input) => input.name === 'SAMLResponse' || input.name === 'SAMLRequest');
  const allHidden = form.inputs.every((input) => input.type === 'hidden');
  return samlField && allHidden ? form : undefined;
}
