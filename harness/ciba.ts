/**
 * The user's side of CIBA with approval by email (seed 004): read the approval mail from the inbox, open its link and
 * press Approve or Deny the way a browser would — GET the page, parse its form, POST it — all through the recorded
 * fetch, so the exchanges are evidence.
 *
 * Contract for a target with its own inbox (`ciba.mailbox` in the target file):
 * - `GET <mailbox>?to=<address>` answers `{"messages": [{to, subject, text, links, sentAt}, …]}`, oldest first, and
 *   keeps earlier messages (`sentAt` in epoch milliseconds, `links` in order: the first is the approval link);
 * - the approval link answers 200 with an HTML page holding one `<form method="post">` whose hidden inputs carry what
 *   the submission needs, and two submit buttons (`<button>` or `<input type="submit">`) whose value or label says
 *   approve / allow / accept and deny / reject / decline;
 * - an unusable link (expired, used, unknown) answers 4xx, or a page without that form; a refused submission 4xx.
 */
import { BlockedError, CheckSkipped } from './check.ts';
import type { CheckContext } from './context.ts';
import { describeReply, type HttpReply, readReply } from './http.ts';
import type { ReceivedMail } from './mailbox.ts';
import type { Fetch } from './network/types.ts';

export type CibaDecision = 'approve' | 'deny';

/** Where the user's mail is read: the harness's MailboxReader fits. */
export interface Inbox {
  messages(to: string): Promise<ReceivedMail[]>;
}

/** How far the inbox had been read: later messages are new. */
export interface InboxMark {
  count: number;
}

export type ApprovalForms = Partial<Record<CibaDecision, DecisionForm>>;

export interface ApprovalPage {
  url: string;
  reply: HttpReply;
  /** Absent when the page offers no approval form (an unusable link). */
  forms?: ApprovalForms;
}

export interface CibaUserOptions {
  fetch: Fetch;
  inbox: Inbox;
  /** Where the approval mails go: the login hint. */
  address: string;
  /** Waits before reading the inbox again when the mail has not arrived yet (real targets deliver late); absent: no retry. */
  waitForMail?: (attempt: number) => Promise<boolean>;
}

const APPROVE = /approve|allow|accept|confirm|^yes$/i;
const DENY = /deny|reject|decline|refuse|^no$/i;

/** A user answering CIBA approval mails. */
export class CibaUser {
  constructor(private readonly options: CibaUserOptions) {}

  /** Marks the inbox before the client asks, so the mail the request causes can be told from earlier ones. */
  async mark(): Promise<InboxMark> {
    return { count: (await this.options.inbox.messages(this.options.address)).length };
  }

  /** The newest mail since `mark`; blocks the caller when none arrived (the request's mail is a prerequisite). */
  async mailSince(mark: InboxMark): Promise<ReceivedMail> {
    for (let attempt = 1; ; attempt++) {
      const fresh = (await this.options.inbox.messages(this.options.address)).slice(mark.count);
      const newest = fresh.at(-1);
      if (newest) return newest;
      if (!(await this.options.waitForMail?.(attempt))) {
        throw new BlockedError('approval mail', `no new mail reached ${this.options.address} after the request`);
      }
    }
  }

  /** GETs the mail's first link (as a mail client's browser would) and reads the approval form, if any. */
  async open(mail: ReceivedMail): Promise<ApprovalPage> {
    const url = mail.links[0];
    if (!url) throw new BlockedError('approval mail', `the mail "${mail.subject}" carries no link`);
    const response = await this.options.fetch(url, { headers: { accept: 'text/html' }, redirect: 'manual' });
    const reply = await readReply(response, url);
    const forms = reply.status === 200 ? approvalForms(reply.text, url) : undefined;
    return { url, reply, ...(forms ? { forms } : {}) };
  }

  /** POSTs the page's form with the decision's button, with the page's Origin, as a browser submits it. */
  async submit(page: ApprovalPage, decision: CibaDecision): Promise<HttpReply> {
    const form = page.forms?.[decision];
    if (!form) {
      throw new BlockedError(
        'approval page',
        `the page at ${page.url} (${describeReply(page.reply)}) has no form with a ${decision} button`,
      );
    }
    const body = new URLSearchParams([...form.fields, ...(form.button ? [form.button] : [])]);
    const response = await this.options.fetch(form.action, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
        origin: new URL(page.url).origin,
      },
      body,
      redirect: 'manual',
    });
    return readReply(response, form.action);
  }

  /** The whole user step: read the mail since `mark`, open its link and decide; the submission's reply. */
  async answer(mark: InboxMark, decision: CibaDecision): Promise<HttpReply> {
    return this.submit(await this.open(await this.mailSince(mark)), decision);
  }
}

/** Real targets may deliver a little late: read the inbox again each second, ten times at most. */
const REAL_MAIL_RETRIES = 10;

/** The target's CIBA user (`ciba.loginHint`) reading `ciba.mailbox`, through the check's recorded fetch. */
export function cibaUser(ctx: CheckContext): CibaUser {
  const address = ctx.target.ciba?.loginHint;
  if (!address) throw new CheckSkipped('the target declares no CIBA user ("ciba.loginHint")');
  const inMemory = ctx.clock !== undefined;
  return new CibaUser({
    fetch: ctx.fetch,
    inbox: ctx.mailbox(),
    address,
    waitForMail: async (attempt) => {
      if (inMemory || attempt > REAL_MAIL_RETRIES) return false;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return true;
    },
  });
}

// ── Reading the approval form out of the page's HTML ─────────────────────────────────────────────────────────────

function decodeEntities(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replaceAll('&amp;', '&');
}

function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of tag.matchAll(/([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g)) {
    found.set(match[1]!.toLowerCase(), decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return found;
}

function stripTags(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, '')).trim();
}

/** One way to submit a decision: the POST form holding its button, with its hidden inputs and the button's pair. */
export interface DecisionForm {
  action: string;
  fields: [string, string][];
  /** The button's name and value, sent as a browser sends the pressed button; absent for a nameless button. */
  button?: [string, string];
}

/** The decision a submit button stands for, from its value or label. */
function decisionOf(value: string, label: string): CibaDecision | undefined {
  if (APPROVE.test(value) || APPROVE.test(label)) return 'approve';
  if (DENY.test(value) || DENY.test(label)) return 'deny';
  return undefined;
}

/**
 * The POST forms of the page with an approve or deny button (one form with both, or one form each); undefined when
 * the page offers neither.
 */
export function approvalForms(html: string, pageUrl: string): ApprovalForms | undefined {
  const found: ApprovalForms = {};
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const formAttributes = attributes(match[1]!);
    if ((formAttributes.get('method') ?? 'get').toLowerCase() !== 'post') continue;
    const inner = match[2]!;
    const action = new URL(formAttributes.get('action') || pageUrl, pageUrl).href;
    const fields: [string, string][] = [];
    const submits: { name: string | undefined; value: string; label: string }[] = [];
    for (const input of inner.matchAll(/<input\b([^>]*)>/gi)) {
      const attrs = attributes(input[1]!);
      const type = (attrs.get('type') ?? 'text').toLowerCase();
      const name = attrs.get('name');
      if (type === 'hidden' && name) fields.push([name, attrs.get('value') ?? '']);
      if (type === 'submit') submits.push({ name, value: attrs.get('value') ?? '', label: attrs.get('value') ?? '' });
    }
    for (const button of inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
      const attrs = attributes(button[1]!);
      if ((attrs.get('type') ?? 'submit').toLowerCase() !== 'submit') continue;
      submits.push({ name: attrs.get('name'), value: attrs.get('value') ?? '', label: stripTags(button[2]!) });
    }
    for (const submit of submits) {
      const decision = decisionOf(submit.value, submit.label);
      if (!decision || found[decision]) continue;
      found[decision] = { action, fields, ...(submit.name ? { button: [submit.name, submit.value] } : {}) };
    }
  }
  return found.approve || found.deny ? found : undefined;
}
