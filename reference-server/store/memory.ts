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

/** The in-memory audit log keeps the newest this many events (long simulations would otherwise grow it forever). */
export const AUDIT_RETENTION = 100_000;
const ONE_TIME_ID_SWEEP_MS = 1000;

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

/**
 * A deep copy of a stored value. The records are small trees of plain objects, arrays and primitives, copied member by
 * member (several times cheaper than structuredClone for them); anything else (a Date, a typed array) is
 * structuredClone'd.
 */
function deepCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(deepCopy) as T;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return structuredClone(value);
  const copied: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) copied[key] = deepCopy(member);
  return copied as T;
}

function copy<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : deepCopy(value);
}

/** The ids of the records that share a key (a grant's tokens, a client's grants), so listing them scans no others. */
class SecondaryIndex {
  readonly #ids = new Map<string, Set<string>>();

  add(key: string, id: string): void {
    const ids = this.#ids.get(key);
    if (ids) ids.add(id);
    else this.#ids.set(key, new Set([id]));
  }

  remove(key: string, id: string): void {
    this.#ids.get(key)?.delete(id);
  }

  /** The records under `key`, copied out, in the order they were first saved. */
  list<T>(key: string, records: Map<string, T>): T[] {
    const listed: T[] = [];
    for (const id of this.#ids.get(key) ?? []) {
      const record = records.get(id);
      if (record !== undefined) listed.push(deepCopy(record));
    }
    return listed;
  }
}

/** Saves a copy of `record` under `id`, keeping `index` (by `key`) in step when a save changes the key. */
function saveIndexed<T>(
  records: Map<string, T>,
  index: SecondaryIndex,
  id: string,
  record: T,
  key: (record: T) => string,
) {
  const previous = records.get(id);
  if (previous !== undefined) index.remove(key(previous), id);
  records.set(id, deepCopy(record));
  index.add(key(record), id);
}

function memoryClients(): ClientStore {
  const clients = new Map<string, ClientRecord>();
  return {
    get: async (clientId) => copy(clients.get(clientId)),
    save: async (client) => void clients.set(client.client_id, deepCopy(client)),
    delete: async (clientId) => clients.delete(clientId),
    list: async () => [...clients.values()].map((client) => deepCopy(client)),
  };
}

function memoryCodes(): AuthorizationCodeStore {
  const codes = new Map<string, AuthorizationCodeRecord>();
  return {
    save: async (record) => void codes.set(record.code, deepCopy(record)),
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
  const byClient = new SecondaryIndex();
  return {
    save: async (record) => saveIndexed(grants, byClient, record.id, record, (grant) => grant.clientId),
    get: async (id) => copy(grants.get(id)),
    revoke: async (id, at) => {
      const grant = grants.get(id);
      if (grant && grant.revokedAt === undefined) grant.revokedAt = at;
    },
    listByClient: async (clientId) => byClient.list(clientId, grants),
  };
}

function memoryTokens(): AccessTokenStore {
  const tokens = new Map<string, AccessTokenRecord>();
  const byGrant = new SecondaryIndex();
  return {
    save: async (record) => saveIndexed(tokens, byGrant, record.jti, record, (token) => token.grantId),
    get: async (jti) => copy(tokens.get(jti)),
    revoke: async (jti, at) => {
      const token = tokens.get(jti);
      if (token && token.revokedAt === undefined) token.revokedAt = at;
    },
    listByGrant: async (grantId) => byGrant.list(grantId, tokens),
  };
}

function memoryRefreshTokens(): RefreshTokenStore {
  const tokens = new Map<string, RefreshTokenRecord>();
  const byGrant = new SecondaryIndex();
  return {
    save: async (record) => saveIndexed(tokens, byGrant, record.id, record, (token) => token.grantId),
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
    listByGrant: async (grantId) => byGrant.list(grantId, tokens),
  };
}

function memoryOneTimeIds(): OneTimeIdStore {
  const used = new Map<string, number>();
  let nextSweep = Number.NEGATIVE_INFINITY;
  return {
    use: async (id, expiresAt, now) => {
      // Expired ids are forgotten at most once a second (a sweep visits them all).
      if (now >= nextSweep) {
        for (const [seen, until] of used) if (until <= now) used.delete(seen);
        nextSweep = now + ONE_TIME_ID_SWEEP_MS;
      }
      const until = used.get(id);
      if (until !== undefined && until > now) return false;
      used.set(id, expiresAt);
      return true;
    },
  };
}

function memoryRecords<T extends { id: string }>(): RecordStore<T> {
  const records = new Map<string, T>();
  return {
    save: async (record) => void records.set(record.id, deepCopy(record)),
    get: async (id) => copy(records.get(id)),
    delete: async (id) => void records.delete(id),
  };
}

function memoryBackchannelRequests(): BackchannelRequestStore {
  const records = new Map<string, BackchannelRequestRecord>();
  return {
    save: async (record) => void records.set(record.id, deepCopy(record)),
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
      events.push(deepCopy(event));
      // The oldest events go once the log is a tenth over its retention, so dropping them costs O(1) per event.
      if (events.length > AUDIT_RETENTION * 1.1) events.splice(0, events.length - AUDIT_RETENTION);
    },
    async list(issuer, kinds) {
      return events
        .filter((event) => issuer === undefined || event.issuer === issuer)
        .filter((event) => kinds === undefined || kinds.includes(event.kind))
        .map((event) => deepCopy(event));
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
    save: async (user) => void users.set(user.id, deepCopy(user)),
    list: async (tenant) =>
      [...users.values()]
        .filter((user) => tenant === undefined || user.tenant === tenant)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((user) => deepCopy(user)),
  };
}

function memoryConsents(): ConsentStore {
  const consents = new Map<string, ConsentRecord>();
  const key = (userId: string, clientId: string) => JSON.stringify([userId, clientId]);
  return {
    get: async (userId, clientId) => copy(consents.get(key(userId, clientId))),
    save: async (record) => void consents.set(key(record.userId, record.clientId), deepCopy(record)),
    deleteByClient: async (clientId) => {
      let withdrawn = 0;
      for (const [id, record] of consents) {
        if (record.clientId === clientId) withdrawn += Number(consents.delete(id));
      }
      return withdrawn;
    },
  };
}
