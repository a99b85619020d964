/**
 * A CIBA backchannel authentication request (OpenID CIBA Core 1.0 §7) waiting for the user's decision, then for the
 * client's poll (§10.1). Stored by the SHA-256 digest of its `auth_req_id`, so the store never holds a usable one; the
 * emailed approval link names the request by that digest and proves itself with a secret of its own.
 */
export interface BackchannelRequestRecord {
  /** SHA-256 (base64url) of the `auth_req_id` (§7.3). */
  id: string;
  issuer: string;
  clientId: string;
  /** The user the login hint identified. */
  sub: string;
  /** The granted scope, `openid` included. */
  scope: string;
  resource: string;
  bindingMessage?: string;
  status: 'pending' | 'approved' | 'denied';
  /** Epoch milliseconds. */
  createdAt: number;
  /** Epoch milliseconds: the request (and its auth_req_id) ends then (§7.3 expires_in). */
  expiresAt: number;
  /** Epoch milliseconds: the emailed approval link stops working then (seed 004: default 3 minutes). */
  linkExpiresAt: number;
  /** SHA-256 (base64url) of the secret in the approval link; the store never holds a usable link. */
  linkSecretDigest: string;
  /** The current minimum poll interval in seconds (§7.3; grows by 5 s after each slow_down, §11). */
  intervalSeconds: number;
  lastPolledAt?: number;
  /** When the user approved or denied through the link (the ID token's auth_time); the link is spent then. */
  decidedAt?: number;
  /** Set once tokens were issued: the auth_req_id is then spent. */
  redeemedAt?: number;
}
