import type { Clock } from '../../harness/clock.ts';
import type { FetchHandler } from '../../harness/network/types.ts';
import type { Mailer, OutgoingMail } from '../../reference-server/authorization-server/index.ts';

export interface MailboxMessage extends OutgoingMail {
  id: string;
  /** Epoch milliseconds. */
  sentAt: number;
}

/**
 * An inbox standing in for the users' email (CIBA approval links, seed 004): the server sends into it, tests and the
 * harness read it, in process or over HTTP at `GET /messages?to=<address>` (oldest first).
 */
export interface Mailbox extends Mailer {
  handler: FetchHandler;
  messages(to?: string): MailboxMessage[];
}

export function createMailbox(clock: Clock): Mailbox {
  const delivered: MailboxMessage[] = [];
  const messages = (to?: string) =>
    delivered.filter((message) => to === undefined || message.to === to).map((message) => structuredClone(message));
  return {
    async send(mail) {
      delivered.push({ ...structuredClone(mail), id: crypto.randomUUID(), sentAt: clock.now() });
    },
    messages,
    handler: async (request) => {
      const url = new URL(request.url);
      if (request.method !== 'GET' || url.pathname !== '/messages') {
        return Response.json({ error: 'not_found', error_description: 'GET /messages?to=<address>' }, { status: 404 });
      }
      return Response.json({ messages: messages(url.searchParams.get('to') ?? undefined) });
    },
  };
}
