import type {
  AccessTokenRecord,
  AccessTokenStore,
  AuditEvent,
  AuditLog,
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  BackchannelRequestRecord,
  BackchannelRequestStore,
  ClientRecord,
  ClientStore,
  ConsentRecord,
  ConsentStore,
  GrantRecord,
  GrantStore,
  OneTimeIdStore,
  RecordStore,
  RefreshTokenRecord,
  RefreshTokenStore,
  Store,
  UserRecord,
  UserStore,
} from './index.ts';

/** The default store: plain Maps, gone when the process ends. Records are copied in and out, as a database would. */
export function createMemoryStore(): Store {
  return {
    clients: memoryClients(),
    codes: memoryCodes(),
    grants: memoryGrants(),
    tokens: memoryTokens(),
    refreshTokens: memoryRefreshTokens(),
    assertionIds: memoryOneTimeIds(),
    transactions: memoryRecords(),
    sessions: memoryRecords(),
    backchannelRequests: memoryBackchannelRequests(),
    audit: memoryAuditLog(),
    users: memoryUsers(),
    consents: memoryConsents(),
  };
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : structuredClone(value);
}

function memoryClients(): ClientStore {
  const clients = new Map<string, ClientRecord>();
  return {
    get: async (clientId) => copy(clients.get(clientId)),
    save: async (client) => void clients.set(client.client_id, structuredClone(client)),
    delete: async (clientId) => clients.delete(clientId),
    list: async () => [...clients.values()].map((client) => structuredClone(client)),
  };
}

function memoryCodes(): AuthorizationCodeStore {
  const codes = new Map<string, AuthorizationCodeRecord>();
  return {
    save: async (record) => void codes.set(record.code, structuredClone(record)),
    get: async (code) => copy(codes.get(code)),
    markRedeemed: async (code, at) => {
      const record = codes.get(code);
      if (!record || record.redeemedAt !== undefined) return false;
      record.redeemedAt = at;
      return true;
    },
  };
}

function memoryGrants(): GrantStore {
  const grants = new Map<string, GrantRecord>();
  return {
    save: async (record) => void grants.set(record.id, structuredClone(record)),
    get: async (id) => copy(grants.get(id)),
    revoke: async (id, at) => {
      const grant = grants.get(id);
      if (grant && grant.revokedAt === undefined) grant.revokedAt = at;
    },
    listByClient: async (clientId) =>
      [...grants.values()].filter((grant) => grant.clientId === clientId).map((grant) => structuredClone(grant)),
  };
}

function memoryTokens(): AccessTokenStore {
  const tokens = new Map<string, AccessTokenRecord>();
  return {
    save: async (record) => void tokens.set(record.jti, structuredClone(record)),
    get: async (jti) => copy(tokens.get(jti)),
    revoke: async (jti, at) => {
      const token = tokens.get(jti);
      if (token && token.revokedAt === undefined) token.revokedAt = at;
    },
    listByGrant: async (grantId) =>
      [...tokens.values()].filter((token) => token.grantId === grantId).map((token) => structuredClone(token)),
  };
}

function memoryRefreshTokens(): RefreshTokenStore {
  const tokens = new Map<string, RefreshTokenRecord>();
  return {
    save: async (record) => void tokens.set(record.id, structuredClone(record)),
    get: async (id) => copy(tokens.get(id)),
    markRotated: async (id, at) => {
      const token = tokens.get(id);
      if (!token || token.rotatedAt !== undefined) return false;
      token.rotatedAt = at;
      return true;
    },
    revoke: async (id, at) => {
      const token = tokens.get(id);
      if (token && token.revokedAt === undefined) token.revokedAt = at;
    },
    listByGrant: async (grantId) =>
      [...tokens.values()].filter((token) => token.grantId === grantId).map((token) => structuredClone(token)),
  };
}

function memoryOneTimeIds(): OneTimeIdStore {
  const used = new Map<string, number>();
  return {
    use: async (id, expiresAt, now) => {
      for (const [seen, until] of used) if (until <= now) used.delete(seen);
      if (used.has(id)) return false;
      used.set(id, expiresAt);
      return true;
    },
  };
}

function memoryRecords<T extends { id: string }>(): RecordStore<T> {
  const records = new Map<string, T>();
  return {
    save: async (record) => void records.set(record.id, structuredClone(record)),
    get: async (id) => copy(records.get(id)),
    delete: async (id) => void records.delete(id),
  };
}

function memoryBackchannelRequests(): BackchannelRequestStore {
  const records = new Map<string, BackchannelRequestRecord>();
  return {
    save: async (record) => void records.set(record.id, structuredClone(record)),
    get: async (id) => copy(records.get(id)),
    delete: async (id) => void records.delete(id),
    decide: async (id, status, at) => {
      const record = records.get(id);
      if (record?.status !== 'pending') return false;
      Object.assign(record, { status, decidedAt: at });
      return true;
    },
    markRedeemed: async (id, at) => {
      const record = records.get(id);
      if (!record || record.redeemedAt !== undefined) return false;
      record.redeemedAt = at;
      return true;
    },
  };
}

function memoryAuditLog(): AuditLog {
  const events: AuditEvent[] = [];
  return {
    async append(event) {
      events.push(structuredClone(event));
    },
    async list(issuer, kinds) {
      return events
        .filter((event) => issuer === undefined || event.issuer === issuer)
        .filter((event) => kinds === undefined || kinds.includes(event.kind))
        .map((event) => structuredClone(event));
    },
  };
}

/** Login IDs and emails compare without regard to case (`Alice@Example.com` is `alice@example.com`). */
function sameLoginId(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function hasLoginId(user: UserRecord, loginId: string): boolean {
  return (
    (user.email !== undefined && sameLoginId(user.email, loginId)) ||
    user.loginIds.some((candidate) => sameLoginId(candidate, loginId))
  );
}

function memoryUsers(): UserStore {
  const users = new Map<string, UserRecord>();
  const find = (tenant: string, matches: (user: UserRecord) => boolean) =>
    copy([...users.values()].find((user) => user.tenant === tenant && matches(user)));
  return {
    get: async (id) => copy(users.get(id)),
    findByLoginId: async (tenant, loginId) => find(tenant, (user) => hasLoginId(user, loginId)),
    findByExternalId: async (tenant, externalId) => find(tenant, (user) => user.externalIds.includes(externalId)),
    save: async (user) => void users.set(user.id, structuredClone(user)),
    list: async (tenant) =>
      [...users.values()]
        .filter((user) => tenant === undefined || user.tenant === tenant)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((user) => structuredClone(user)),
  };
}

function memoryConsents(): ConsentStore {
  const consents = new Map<string, ConsentRecord>();
  const key = (userId: string, clientId: string) => JSON.stringify([userId, clientId]);
  return {
    get: async (userId, clientId) => copy(consents.get(key(userId, clientId))),
    save: async (record) => void consents.set(key(record.userId, record.clientId), structuredClone(record)),
    deleteByClient: async (clientId) => {
      let withdrawn = 0;
      for (const [id, record] of consents) {
        if (record.clientId === clientId) withdrawn += Number(consents.delete(id));
      }
      return withdrawn;
    },
  };
}
