/** A CIBA backchannel authentication request (OpenID CIBA Core 1.0 §7), by its `auth_req_id`. */
export interface BackchannelRequestRecord {
  /** The `auth_req_id` (§7.3). */
  id: string;
  issuer: string;
  clientId: string;
  /** The user the login hint identified. */
  sub: string;
  scope: string;
  resource: string;
  bindingMessage?: string;
  status: 'pending' | 'approved' | 'denied';
  /** Epoch milliseconds: the request (and its auth_req_id) ends then (§7.3 expires_in). */
  expiresAt: number;
  /** Epoch milliseconds: the emailed approval link stops working then (seed 004: default 3 minutes). */
  linkExpiresAt: number;
  /** SHA-256 (base64url) of the secret in the approval link; the store never holds a usable link. */
  linkSecretDigest: string;
  /** The current minimum poll interval in seconds (§7.3; grows by 5 s after each slow_down, §11). */
  intervalSeconds: number;
  lastPolledAt?: number;
  /** Set once tokens were issued: the auth_req_id is then spent. */
  redeemedAt?: number;
}
