/** The users and consents consent flows read and write, kept in the authorization server's store (seeds 001, 004). */

import { TOTP_SECRET_ATTRIBUTE } from '../flows/totp.ts';
import type { ConsentMemory, FlowUser, NewUser, UserDirectory } from '../flows/types.ts';
import type { UserRecord } from '../store/index.ts';
import { recordActivity } from './activity.ts';
import type { IssuerContext } from './context.ts';
import { randomToken } from './http.ts';

/** Users belong to the issuer they signed in at: '' for the root issuer, '/t/<tenant>' for a tenant issuer. */
export function userTenant(ctx: IssuerContext): string {
  return ctx.path;
}

/** The TOTP secret (RFC 6238) travels among a flow user's attributes but is stored in its own field. */
function asFlowUser(record: UserRecord): FlowUser {
  const externalId = record.externalIds[0];
  const totp: Record<string, string> =
    record.totpSecret === undefined ? {} : { [TOTP_SECRET_ATTRIBUTE]: record.totpSecret };
  return {
    id: record.id,
    ...(record.email !== undefined ? { email: record.email } : {}),
    ...(externalId !== undefined ? { externalId } : {}),
    attributes: { ...record.attributes, ...totp },
  };
}

function withAttributes(record: UserRecord, changes: Record<string, string>, now: number): UserRecord {
  const { [TOTP_SECRET_ATTRIBUTE]: totpSecret, ...attributes } = changes;
  return {
    ...record,
    attributes: { ...record.attributes, ...attributes },
    ...(totpSecret !== undefined ? { totpSecret } : {}),
    updatedAt: now,
  };
}

/** Seed 001 (Generate JWT): users are matched by login ID (email) or external ID within the issuer's tenant. */
export class StoreUserDirectory implements UserDirectory {
  constructor(
    private readonly ctx: IssuerContext,
    private readonly context: { clientId: string; flowId: string },
  ) {}

  async findByEmail(email: string): Promise<FlowUser | undefined> {
    const record = await this.ctx.store.users.findByLoginId(userTenant(this.ctx), email);
    return record && asFlowUser(record);
  }

  async findByExternalId(externalId: string): Promise<FlowUser | undefined> {
    const record = await this.ctx.store.users.findByExternalId(userTenant(this.ctx), externalId);
    return record && asFlowUser(record);
  }

  async first(): Promise<FlowUser | undefined> {
    const [record] = await this.ctx.store.users.list(userTenant(this.ctx));
    return record && asFlowUser(record);
  }

  async create(user: NewUser): Promise<FlowUser> {
    const now = this.ctx.clock.now();
    const record: UserRecord = {
      id: `user-${randomToken(12)}`,
      tenant: userTenant(this.ctx),
      ...(user.email ? { email: user.email } : {}),
      loginIds: user.email ? [user.email] : [],
      externalIds: user.externalId ? [user.externalId] : [],
      attributes: {},
      createdAt: now,
      updatedAt: now,
    };
    await this.ctx.store.users.save(record);
    await recordActivity(this.ctx, {
      kind: 'user-created',
      sub: record.id,
      clientId: this.context.clientId,
      summary: `flow ${this.context.flowId} created user ${user.email ?? user.externalId ?? record.id}`,
      details: { flow: this.context.flowId },
    });
    return asFlowUser(record);
  }

  async update(id: string, attributes: Record<string, string>): Promise<FlowUser> {
    const record = await this.ctx.store.users.get(id);
    if (!record) throw new Error(`unknown user ${id}`);
    const updated = withAttributes(record, attributes, this.ctx.clock.now());
    await this.ctx.store.users.save(updated);
    return asFlowUser(updated);
  }
}

/** Seed 004 (Flows: consent): what a user granted a client, remembered in the store. */
export function storeConsentMemory(ctx: IssuerContext): ConsentMemory {
  return {
    async granted(userId, clientId) {
      return (await ctx.store.consents.get(userId, clientId))?.scopes;
    },
    async remember(userId, clientId, scopes) {
      const earlier = (await ctx.store.consents.get(userId, clientId))?.scopes ?? [];
      const all = [...new Set([...earlier, ...scopes])];
      await ctx.store.consents.save({ userId, clientId, scopes: all, grantedAt: ctx.clock.now() });
    },
  };
}
