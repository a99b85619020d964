/**
 * Storage of the reference authorization server, behind interfaces so another backend can replace the in-memory one.
 * Every method is asynchronous, as a real database would be; times are epoch milliseconds from the injected clock.
 */

import type { JSONWebKeySet } from 'jose';
import type { AuditLog } from './audit.ts';
import type { BackchannelRequestRecord } from './backchannel.ts';

export type { ActivityEvent, AuditEvent, AuditEventKind, AuditLog, TokenExchangeEvent } from './audit.ts';
export type { BackchannelRequestRecord } from './backchannel.ts';

export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** A registered client (RFC 7591 §2 metadata plus what the server assigned). */
export interface ClientRecord {
  client_id: string;
  client_secret?: string;
  /** Seconds since the epoch (RFC 7591 §3.2.1). */
  client_id_issued_at: number;
  /** 0 = the secret never expires (RFC 7591 §3.2.1). */
  client_secret_expires_at?: number;
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** RFC 7591 §2: the client's public keys, registered by value (for private_key_jwt, RFC 7523 §2.2). */
  jwks?: JSONWebKeySet;
  grant_types: string[];
  response_types: string[];
  application_type: 'web' | 'native';
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  scope?: string;
  contacts?: string[];
  tos_uri?: string;
  policy_uri?: string;
  software_id?: string;
  software_version?: string;
  registeredBy: 'configuration' | 'dynamic-registration' | 'client-id-metadata-document' | 'admin';
  /** RFC 7591 §2: the client's keys by reference (private_key_jwt). */
  jwks_uri?: string;
  /** RFC 7592 §3: SHA-256 (base64url) of the registration access token; the store never holds the token. */
  registration_access_token_digest?: string;
  /** Seed 004 (Clients hub): free text and tags for administrators. */
  description?: string;
  tags?: string[];
  /** Seed 004 (Flows): a trusted first-party client whose users are not asked for consent. */
  skip_consent?: boolean;
  /** Seed 004 (Flows): the consent flow its users go through at /authorize instead of the built-in login. */
  flow_id?: string;
  /** Epoch milliseconds of the last change through the admin API or RFC 7592. */
  updated_at?: number;
  /** Seed 004 (JWT bearer): external issuers whose JWTs this client may present (RFC 7523 §2.1). */
  trusted_issuers?: TrustedIssuerConfig[];
  /** Seed 004 (client credentials): tenants this client may obtain tokens at; absent means every tenant. */
  allowed_tenants?: string[];
  /** Seed 004: per-client session management; absent means the server-wide (project) settings. */
  session_management?: ClientSessionSettings;
  /** CIBA Core §4: only poll mode is offered here. */
  backchannel_token_delivery_mode?: 'poll';
  /** Seed 004 (CIBA by email): how long the emailed approval link stays valid; default 180 s. */
  ciba_link_expiry_seconds?: number;
  /** RFC 8693 policy: this client may impersonate (receive exchanged tokens without `act`). Default false. */
  token_exchange_impersonation?: boolean;
}

/** Seed 004: one trusted issuer of a JWT bearer client. */
export interface TrustedIssuerConfig {
  /** The expected `iss` of presented JWTs. */
  issuer: string;
  /** Absent: derived from the issuer (the `jwks_uri` of its OpenID / RFC 8414 metadata). */
  jwks_uri?: string;
  /** Accepted signing algorithms; absent: the header's algorithm, among the asymmetric ones. */
  algorithms?: string[];
  /** OIDC UserInfo endpoint called after validation to load profile attributes the JWT lacks. */
  userinfo_endpoint?: string;
  /** The userinfo member that is the user's login id (e.g. `sub`, `email`). */
  login_id_field?: string;
}

/** Seed 004 (Session Management): per-client token format and lifetimes, each falling back to the server's. */
export interface ClientSessionSettings {
  /** User JWT (authorization code, CIBA) or access key JWT (client credentials). */
  token_format?: 'user-jwt' | 'access-key-jwt';
  refresh_token_ttl_seconds?: number;
  session_token_ttl_seconds?: number;
  access_key_ttl_seconds?: number;
}

/** An issued authorization code and everything it is bound to (OAuth 2.1 §4.1.2). */
export interface AuthorizationCodeRecord {
  code: string;
  issuer: string;
  clientId: string;
  sub: string;
  /** The redirect URI the response was sent to. */
  redirectUri: string;
  /** True when the authorization request carried redirect_uri (then the token request must repeat it). */
  redirectUriInRequest: boolean;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  resource: string;
  scope: string;
  grantId: string;
  issuedAt: number;
  expiresAt: number;
  redeemedAt?: number;
}

/** One user's authorization of one client for one resource; every token issued under it shares its fate. */
export interface GrantRecord {
  id: string;
  issuer: string;
  clientId: string;
  sub: string;
  resource: string;
  scope: string;
  createdAt: number;
  revokedAt?: number;
}

/** RFC 8693 §4.1: the party acting for the subject; a nested `act` is the actor before it in the delegation chain. */
export interface ActorClaim {
  sub: string;
  act?: ActorClaim;
}

/**
 * An issued access token, by its `jti` (RFC 9068 §2.2). An opaque token's `jti` is the SHA-256 digest of its value
 * (base64url), so the store never holds a usable bearer token.
 */
export interface AccessTokenRecord {
  jti: string;
  format: 'jwt' | 'opaque';
  grantId: string;
  issuer: string;
  clientId: string;
  sub: string;
  aud: string;
  scope: string;
  /** Seconds since the epoch, as in the JWT. */
  iat: number;
  exp: number;
  /** Set on tokens issued by token exchange (RFC 8693 §4.1). */
  act?: ActorClaim;
  /** RFC 8693 §4.4: the one party that may act for `sub` with this token in a further exchange. */
  mayAct?: ActorClaim;
  revokedAt?: number;
}

/**
 * An issued refresh token (OAuth 2.1 §4.3), by the SHA-256 digest of its value (base64url), so the store never holds a
 * usable token. Every refresh token of one grant belongs to one family: rotation links each to its parent, and reuse
 * of a rotated one revokes the whole family (§4.3.1).
 */
export interface RefreshTokenRecord {
  id: string;
  issuer: string;
  clientId: string;
  /** The grant, which is also the family every rotated successor belongs to. */
  grantId: string;
  /** The refresh token this one replaced, if it was issued by a rotation. */
  parentId?: string;
  sub: string;
  /** The scope the user consented to; every successor keeps it (§4.3.3). */
  scope: string;
  resource: string;
  issuedAt: number;
  expiresAt: number;
  /** Set once the token was exchanged for a successor; presenting it again is reuse. */
  rotatedAt?: number;
  revokedAt?: number;
}

/** An authorization request waiting for the user to sign in and consent. */
export interface AuthorizationTransaction {
  id: string;
  issuer: string;
  sessionId: string;
  clientId: string;
  responseType: 'code' | 'token';
  redirectUri: string;
  redirectUriInRequest: boolean;
  state?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  resource: string;
  scope: string;
  loginHint?: string;
  expiresAt: number;
}

/** A browser session at the authorization server: its CSRF token and, once signed in, the user. */
export interface SessionRecord {
  id: string;
  issuer: string;
  csrfToken: string;
  sub?: string;
  expiresAt: number;
}

export interface ClientStore {
  get(clientId: string): Promise<ClientRecord | undefined>;
  save(client: ClientRecord): Promise<void>;
  delete(clientId: string): Promise<boolean>;
  list(): Promise<ClientRecord[]>;
}

export interface AuthorizationCodeStore {
  save(record: AuthorizationCodeRecord): Promise<void>;
  get(code: string): Promise<AuthorizationCodeRecord | undefined>;
  /** Marks the code redeemed; true only for the first call, so two concurrent redemptions cannot both win. */
  markRedeemed(code: string, at: number): Promise<boolean>;
}

export interface GrantStore {
  save(record: GrantRecord): Promise<void>;
  get(id: string): Promise<GrantRecord | undefined>;
  revoke(id: string, at: number): Promise<void>;
  /** Every grant (revoked or not) given to one client, e.g. to revoke a client's consents (seed 004). */
  listByClient(clientId: string): Promise<GrantRecord[]>;
}

export interface AccessTokenStore {
  save(record: AccessTokenRecord): Promise<void>;
  get(jti: string): Promise<AccessTokenRecord | undefined>;
  revoke(jti: string, at: number): Promise<void>;
  listByGrant(grantId: string): Promise<AccessTokenRecord[]>;
}

export interface RefreshTokenStore {
  save(record: RefreshTokenRecord): Promise<void>;
  get(id: string): Promise<RefreshTokenRecord | undefined>;
  /** Marks the token rotated; true only for the first call, so two concurrent refreshes cannot both win. */
  markRotated(id: string, at: number): Promise<boolean>;
  revoke(id: string, at: number): Promise<void>;
  listByGrant(grantId: string): Promise<RefreshTokenRecord[]>;
}

/** Identifiers that may be used once, each until it expires (RFC 7523 §3 item 7: client assertion `jti`s). */
export interface OneTimeIdStore {
  /** Records `id` as used until `expiresAt` (epoch seconds); true only if it was not already in use. */
  use(id: string, expiresAt: number, now: number): Promise<boolean>;
}

export interface RecordStore<T extends { id: string }> {
  save(record: T): Promise<void>;
  get(id: string): Promise<T | undefined>;
  delete(id: string): Promise<void>;
}

/** CIBA requests, whose two one-way transitions are atomic so concurrent polls or submits cannot both win. */
export interface BackchannelRequestStore extends RecordStore<BackchannelRequestRecord> {
  /** Records the user's decision; true only if the request was still pending. */
  decide(id: string, status: 'approved' | 'denied', at: number): Promise<boolean>;
  /** Marks the request spent (tokens issued); true only for the first call. */
  markRedeemed(id: string, at: number): Promise<boolean>;
}

/**
 * A person known to this server (seed 001 users): created by flows (Generate JWT) or federation, with login IDs
 * (emails, usernames), external IDs (upstream user IDs, OIDC `iss|sub`, SAML NameIDs) and the tenant they belong to.
 */
export interface UserRecord {
  /** The `sub` of their tokens. */
  id: string;
  /** The issuer they were created at ('' tenant for the root issuer). */
  tenant: string;
  email?: string;
  loginIds: string[];
  externalIds: string[];
  attributes: Record<string, string>;
  /** Base32 TOTP secret once enrolled (RFC 6238). */
  totpSecret?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export interface UserStore {
  get(id: string): Promise<UserRecord | undefined>;
  /** Case-insensitive on emails and login IDs. */
  findByLoginId(tenant: string, loginId: string): Promise<UserRecord | undefined>;
  findByExternalId(tenant: string, externalId: string): Promise<UserRecord | undefined>;
  save(user: UserRecord): Promise<void>;
  list(tenant?: string): Promise<UserRecord[]>;
}

/** Consent a user gave a client (seed 004 Flows), remembered per user and client. */
export interface ConsentRecord {
  userId: string;
  clientId: string;
  scopes: string[];
  /** Epoch milliseconds. */
  grantedAt: number;
}

export interface ConsentStore {
  get(userId: string, clientId: string): Promise<ConsentRecord | undefined>;
  save(record: ConsentRecord): Promise<void>;
  /** Withdraws every consent given to a client (e.g. when it is deleted); returns how many. */
  deleteByClient(clientId: string): Promise<number>;
}

export interface Store {
  clients: ClientStore;
  codes: AuthorizationCodeStore;
  grants: GrantStore;
  tokens: AccessTokenStore;
  refreshTokens: RefreshTokenStore;
  assertionIds: OneTimeIdStore;
  transactions: RecordStore<AuthorizationTransaction>;
  sessions: RecordStore<SessionRecord>;
  backchannelRequests: BackchannelRequestStore;
  audit: AuditLog;
  users: UserStore;
  consents: ConsentStore;
}

export { createMemoryStore } from './memory.ts';
