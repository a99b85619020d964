import { CheckSkipped } from './check.ts';
import type { Fetch } from './network/types.ts';
import type { TargetFile } from './target.ts';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  links: string[];
  /** Epoch milliseconds. */
  sentAt: number;
}

/** The user's inbox as the target exposes it (`ciba.mailbox`): GET `?to=<address>` answers `{messages}`, oldest first. */
export interface MailboxReader {
  url: string;
  messages(to: string): Promise<ReceivedMail[]>;
}

export function mailboxReader(target: TargetFile, fetch: Fetch): MailboxReader {
  const url = target.ciba?.mailbox;
  if (!url) throw new CheckSkipped('the target declares no inbox for approval mails ("ciba.mailbox")');
  return {
    url,
    async messages(to) {
      const query = new URL(url);
      query.searchParams.set('to', to);
      const response = await fetch(query.href, { headers: { accept: 'application/json' } });
      const body = (await response.json().catch(() => undefined)) as { messages?: unknown } | undefined;
      if (!response.ok || !Array.isArray(body?.messages)) {
        throw new Error(`the inbox at ${url} answered ${response.status} without a "messages" array`);
      }
      return body.messages as ReceivedMail[];
    },
  };
}
