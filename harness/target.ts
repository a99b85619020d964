import { z } from 'zod';
import { firstIssueLine, readJsonFile } from './json-file.ts';

/** A bad target file: the message names the field, e.g. `clients.public.redirect_uri: must be an absolute http(s) URL`. */
export class TargetFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetFileError';
  }
}

const httpUrl = z.string({ error: 'must be a string holding an absolute http(s) URL' }).refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' || url.protocol === 'http:';
    } catch {
      return false;
    }
  },
  { error: (issue) => `must be an absolute http(s) URL (got ${JSON.stringify(issue.input)})` },
);

const publicClient = z.strictObject({ client_id: z.string().min(1), redirect_uri: httpUrl });
const confidentialClient = z.strictObject({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  redirect_uri: httpUrl,
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
});
const machineClient = z.strictObject({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
});

/** Where the harness serves Client ID Metadata Documents: https on 127.0.0.1 (or localhost) at an explicit port. */
const cimdHostUrl = z.string({ error: 'must be a string holding https://127.0.0.1:PORT' }).refine(
  (value) => {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    return (
      url?.protocol === 'https:' &&
      (url.hostname === '127.0.0.1' || url.hostname === 'localhost') &&
      url.port !== '' &&
      `${url.origin}` === value.replace(/\/$/, '')
    );
  },
  {
    error: (issue) =>
      `must be https://127.0.0.1:PORT or https://localhost:PORT, an origin the harness serves on loopback (got ${JSON.stringify(issue.input)})`,
  },
);

const browserStep = z.union([
  z.strictObject({ fill: z.string().min(1), value: z.string(), optional: z.boolean().optional() }),
  z.strictObject({ click: z.string().min(1), optional: z.boolean().optional() }),
  z.strictObject({ waitFor: z.string().min(1), optional: z.boolean().optional() }),
]);

/** A tool by name, or by name with the arguments to call it with. */
const toolReference = z.union([
  z.string().min(1),
  z.strictObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()).optional() }),
]);
export type ToolReference = z.output<typeof toolReference>;

const login = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('auto') }),
  z.strictObject({
    mode: z.literal('browser'),
    steps: z.array(browserStep).min(1),
    /** Milliseconds to wait for each step's selector and for the final redirect. */
    stepTimeoutMs: z.number().int().positive().max(120_000).optional(),
    headed: z.boolean().optional(),
  }),
]);

/** A client whose users go through one consent flow at the target AS (seed 004 Flows: a flow is chosen per client). */
const flowClient = z.strictObject({
  clientId: z.string().min(1),
  /** Default: the target's `redirectUri`. */
  redirectUri: httpUrl.optional(),
});
export type FlowClient = z.output<typeof flowClient>;

/**
 * Bring your own auth (seeds 000, 001): the target's flows validate credentials against the homegrown identity API the
 * harness serves at `homegrownAuth`, then Generate JWT. Each flow is reached through its own public client.
 */
const byoa = z.strictObject({
  homegrownAuth: httpUrl,
  /** The cookie that holds an existing homegrown session token, as the AS receives it (seed 000: same custom domain). */
  sessionCookie: z.string().min(1).default('corp_session'),
  /** Input names on the target's screens. */
  fields: z
    .strictObject({
      username: z.string().min(1).default('username'),
      password: z.string().min(1).default('password'),
      otp: z.string().min(1).default('otp'),
    })
    .default({ username: 'username', password: 'password', otp: 'otp' }),
  flows: z.strictObject({
    /** Credentials screen → connector → Generate JWT (sign-up-or-in) → custom claims `roles` → end. */
    signUpOrIn: flowClient.optional(),
    /** The same with Generate JWT (sign-in): only existing users. */
    signIn: flowClient.optional(),
    /** The same with Generate JWT (sign-up): always a new user. */
    signUp: flowClient.optional(),
    /** Reads the session cookie, validates it at the identity API (GET /userinfo), Generate JWT (sign-in); else credentials. */
    sessionToken: flowClient.optional(),
    /** A misconfigured flow: Generate JWT with neither form.email nor form.externalId set before it. */
    missingLoginId: flowClient.optional(),
    /** signUpOrIn followed by a consent step (remembered per user and client). */
    consent: flowClient.optional(),
    /** A second client with the same consent flow. */
    consentOther: flowClient.optional(),
    /** A client set to skip consent, whose flow has a consent step. */
    skipConsent: flowClient.optional(),
    /** signUpOrIn with TOTP step-up (RFC 6238) when `scopes.elevated` is requested. */
    mfa: flowClient.optional(),
  }),
});

/** Federation (seed 004): the harness serves an upstream OpenID provider and a tenant SAML IdP the target AS trusts. */
const federation = z.strictObject({
  oidc: z
    .strictObject({
      /** The harness serves the upstream OpenID provider here. */
      issuer: httpUrl,
      /** The target AS's client registration at that provider, and its callback (registered redirect URI). */
      clientId: z.string().min(1),
      clientSecret: z.string().min(1),
      redirectUri: httpUrl,
      flow: flowClient,
    })
    .optional(),
  saml: z
    .strictObject({
      /** The harness serves the SAML IdP here: entity ID `<idp>/metadata`, SSO endpoint `<idp>/sso`. */
      idp: httpUrl,
      /** The target AS as service provider: its entity ID, its ACS (HTTP-POST) and, if published, its SP metadata. */
      sp: z.strictObject({ entityId: z.string().min(1), acsUrl: httpUrl, metadataUrl: httpUrl.optional() }),
      flow: flowClient,
    })
    .optional(),
});

export const SUITE_NAMES = [
  'discovery',
  'registration',
  'pkce',
  'authorization-code',
  'grants',
  'resource-server',
  'byoa',
  'federation',
] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

export const targetFileSchema = z
  .strictObject({
    name: z.string().min(1),
    resource: httpUrl.optional(),
    issuer: httpUrl.optional(),
    allowInsecureHttp: z.boolean().default(false),
    /** Extra hosts (`host:port`) the harness may contact besides those of `resource`, `issuer` and `tokenLab.issuer`. */
    allowHosts: z.array(z.string().min(1)).optional(),
    timeoutMs: z.number().int().positive().max(120_000).default(10_000),
    /** How long a check may wait in real time for a token of the target's AS to expire (0: never wait). */
    expiryWaitSeconds: z.number().int().min(0).max(900).default(0),
    scopes: z
      .strictObject({
        basic: z.string().min(1),
        elevated: z.string().min(1).optional(),
        /** The server declares a scope hierarchy: the elevated scope also grants what the basic one does. */
        elevatedIncludesBasic: z.boolean().optional(),
      })
      .optional(),
    /** MCP tools the harness may call: one the basic scope allows, one that needs the elevated scope. */
    tools: z.strictObject({ basic: toolReference.optional(), elevated: toolReference.optional() }).optional(),
    /** A second resource registered at the same AS: a token for it must not work at `resource`. */
    alternateResource: httpUrl.optional(),
    clients: z
      .strictObject({
        public: publicClient.optional(),
        confidential: confidentialClient.optional(),
        m2m: machineClient.optional(),
        /** Registered for the JWT bearer grant, trusting `workloadIssuer.issuer` (RFC 7523 §2.1). */
        workload: machineClient.optional(),
        /** Registered for ID-JAGs from `enterpriseIdp.issuer` (enterprise-managed authorization). */
        enterprise: machineClient.optional(),
        /** Registered for CIBA in poll mode. */
        ciba: machineClient.optional(),
        /** Registered for token exchange (RFC 8693): the service that acts on the user's behalf. */
        exchange: machineClient.optional(),
      })
      .default({}),
    /** Redirect URI used for clients the harness registers itself (DCR). Never contacted: the harness stops there. */
    redirectUri: httpUrl.default('http://127.0.0.1:5555/callback'),
    user: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
    login: login.default({ mode: 'auto' }),
    /** A test issuer the harness serves during the run; the RS under test must trust it (see README). */
    tokenLab: z
      .strictObject({
        issuer: httpUrl,
        /** Claims the RS demands of tokens from this issuer (e.g. {"acr": "…"}); the lab puts them in its tokens. */
        requiredClaims: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      })
      .optional(),
    /** A tool that calls `url` on behalf of the user; the harness serves an observer at `url` during the run. */
    downstream: z.strictObject({ url: httpUrl, tool: toolReference }).optional(),
    /** A workload identity issuer the harness serves during the run; the AS trusts it for `clients.workload`. */
    workloadIssuer: z.strictObject({ issuer: httpUrl }).optional(),
    /** An enterprise IdP the harness serves during the run; the AS accepts its ID-JAGs for `clients.enterprise`. */
    enterpriseIdp: z.strictObject({ issuer: httpUrl }).optional(),
    /** CIBA: the user's login hint, and an inbox (GET ?to=<login hint> → {messages}) where approval links arrive. */
    ciba: z.strictObject({ loginHint: z.string().min(1), mailbox: httpUrl.optional() }).optional(),
    /**
     * Client ID Metadata Documents: the harness serves them over https at `host` during the run, with a certificate from
     * the test CA at `caFile` (created with its key `<caFile>.key` when absent). The AS must trust that CA and may fetch
     * from this host although it is loopback (its SSRF allow-list), and from nowhere else special.
     */
    cimd: z
      .strictObject({
        host: cimdHostUrl,
        caFile: z.string().min(1).default('.mcp-auth-conformance/cimd-test-ca.pem'),
      })
      .optional(),
    byoa: byoa.optional(),
    federation: federation.optional(),
    suites: z.array(z.enum(SUITE_NAMES)).optional(),
  })
  .refine((target) => target.resource !== undefined || target.issuer !== undefined, {
    error: 'a target needs "resource" (the MCP server URL), "issuer" (the authorization server), or both',
    path: ['resource'],
  });

export type TargetFile = z.output<typeof targetFileSchema>;
export type TargetFileInput = z.input<typeof targetFileSchema>;

/** Validates parsed JSON; throws TargetFileError naming the first offending field. */
export function parseTargetFile(json: unknown): TargetFile {
  const result = targetFileSchema.safeParse(json);
  if (result.success) return enforceTransport(result.data);
  throw new TargetFileError(
    firstIssueLine(result.error, 'unknown field (check its spelling against the target file contract)'),
  );
}

/** Reads and validates a target file from disk. */
export async function loadTargetFile(path: string): Promise<TargetFile> {
  const json = await readJsonFile(path, {
    unreadable: (code) => new TargetFileError(`${path}: cannot read the target file (${code})`),
    notJson: (reason) => new TargetFileError(`${path}: not valid JSON (${reason})`),
  });
  return parseTargetFile(json);
}

/** OAuth 2.1 §1.5: http is only acceptable when the vendor says so (local test rigs). */
function enforceTransport(target: TargetFile): TargetFile {
  if (target.allowInsecureHttp) return target;
  for (const field of ['resource', 'issuer'] as const) {
    const value = target[field];
    if (value?.startsWith('http:')) {
      throw new TargetFileError(`${field}: uses http:// but "allowInsecureHttp" is not true (got "${value}")`);
    }
  }
  return target;
}
