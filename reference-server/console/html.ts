/**
 * The console's HTML: a tagged template that escapes every interpolated value unless it is already markup, and the
 * page shell (skip link, landmarks, inline styles only, no scripts, readable without the styles).
 */
import { escapeHtml } from '../authorization-server/pages.ts';

/** Markup that is already safe (built by `html`), as opposed to text that must be escaped. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  // No scripts, no external anything; forms post only here; never framed (RFC 9700 §4.16).
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;line-height:1.45;background:#fff}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:1}
.skip:focus{left:1rem}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.5rem;background:#14213d;color:#fff}
header a{color:#fff}header form{margin:0 0 0 auto}header .brand{font-weight:700}
main{padding:1rem 1.5rem 3rem;max-width:80rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.15rem;margin-top:1.6rem}
a{color:#1d4ed8}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
fieldset{border:1px solid #c8ccd4;border-radius:6px;margin:0 0 1rem;padding:.6rem 1rem 1rem}
legend{font-weight:600;padding:0 .3rem}
label{font-weight:500}
input[type=text],input[type=url],input[type=number],input[type=password],select,textarea{font:inherit;padding:.35rem .45rem;border:1px solid #8a909c;border-radius:4px}
textarea{width:100%;box-sizing:border-box;min-height:4rem}
button{font:inherit;padding:.4rem 1rem;border-radius:4px;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1d4ed8}button.danger{background:#b91c1c;border-color:#b91c1c}
.row{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:.4rem 0}
.row label{display:flex;flex-direction:column;gap:.15rem;font-size:.9rem}
.stack label{display:block;margin-top:.6rem}.stack input[type=text],.stack input[type=url]{width:100%;box-sizing:border-box}
table{border-collapse:collapse;width:100%;margin-top:.5rem}
caption{text-align:left;font-weight:600;padding:.4rem 0}
th,td{border-bottom:1px solid #e1e4ea;padding:.45rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f7}
.badge{display:inline-block;border-radius:999px;padding:0 .55rem;font-size:.8rem;border:1px solid #8a909c;margin:0 .2rem .2rem 0}
.type-dcr{background:#e0ecff}.type-cimd{background:#e7f8ec}.type-manual{background:#fdf1dc}
.notice{border-left:4px solid #15803d;background:#ecfdf3;padding:.5rem 1rem}
.error{border-left:4px solid #b91c1c;background:#fef2f2;padding:.5rem 1rem}
.secret{font-family:monospace;font-size:1.05rem;word-break:break-all}
.muted{color:#4b5563;font-size:.9rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.2rem}dt{font-weight:600}dd{margin:0}
code{word-break:break-all}
`;

export interface PageChrome {
  title: string;
  /** The sign-out form, when someone is signed in. */
  signOut?: { action: string; csrfToken: string };
  nav?: { clients: string; create: string; users: string; audit: string };
}

export function page(chrome: PageChrome, body: SafeHtml, status = 200, headers: Record<string, string> = {}): Response {
  const nav = chrome.nav
    ? html`<nav aria-label="Console"><a href="${chrome.nav.clients}">Clients</a> · <a href="${chrome.nav.create}">+ Client</a> · <a href="${chrome.nav.users}">Users</a> · <a href="${chrome.nav.audit}">Audit log</a></nav>`
    : '';
  const signOut = chrome.signOut
    ? html`<form method="post" action="${chrome.signOut.action}"><input type="hidden" name="csrf_token" value="${chrome.signOut.csrfToken}"><button type="submit" class="secondary">Sign out</button></form>`
    : '';
  const document = html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${chrome.title} · Clients hub</title><style>${new SafeHtml(STYLE)}</style></head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header><span class="brand">Clients hub</span>${nav}${signOut}</header>
<main id="main" tabindex="-1">
<h1>${chrome.title}</h1>
${body}
</main>
</body>
</html>`;
  return new Response(document.value, { status, headers: { ...PAGE_HEADERS, ...headers } });
}
