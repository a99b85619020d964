import type { OutputStream } from '../progress.ts';

export interface ServeCommandOptions {
  port?: number;
  autoApprove?: boolean;
}

/** `serve`: the reference system on 127.0.0.1 for people to explore; resolves once it has stopped on Ctrl-C. */
export async function serveCommand(options: ServeCommandOptions, out: OutputStream): Promise<0> {
  const { serveReferenceSystem } = await import('../../reference-server/serve.ts');
  const { REFERENCE_USERS } = await import('../../reference-server/system.ts');
  const { DEFAULT_HOMEGROWN_USERS } = await import('../../mocks/idps/homegrown-auth/index.ts');
  const system = await serveReferenceSystem({
    ...(options.port !== undefined ? { port: options.port } : {}),
    interaction: options.autoApprove ? 'auto-approve' : 'interactive',
  });
  const { issuer, resource, prm, asMetadata, mailbox, homegrownAuth, upstreamOidc, samlIdp } = system.urls;
  const corpUser = DEFAULT_HOMEGROWN_USERS[0]!;
  const m2m = system.clients.m2m;
  const ciba = system.clients.ciba;
  const basic = (client: { client_id: string; client_secret: string }) => `${client.client_id}:${client.client_secret}`;
  out.write(
    [
      'Reference system listening on 127.0.0.1:',
      `  Authorization server (issuer)   ${issuer}`,
      `  MCP server (protected resource) ${resource}`,
      `  Protected resource metadata     ${prm}`,
      `  Authorization server metadata   ${asMetadata}`,
      `  Users' mailbox (CIBA approvals) ${mailbox}?to=alice@example.test`,
      `  Clients hub console             ${issuer}/console (admin token: ${system.adminToken})`,
      `  Homegrown identity API (mock)   ${homegrownAuth}   (bring your own auth, seeds 000/001)`,
      `  Upstream OpenID provider (mock) ${upstreamOidc}`,
      `  Tenant SAML IdP (mock)          ${samlIdp}`,
      '',
      'Try it:',
      `  curl -i -X POST ${resource}   # 401 + WWW-Authenticate pointing at the metadata`,
      `  curl ${prm}`,
      `  curl ${asMetadata}`,
      `  Point an MCP client (e.g. the MCP Inspector) at ${resource} and follow the sign-in.`,
      `  curl -u ${basic(m2m)} -d grant_type=client_credentials -d resource=${resource} ${issuer}/token`,
      `  curl -u ${basic(ciba)} -d scope="openid mcp:tools" -d login_hint=alice@example.test ${issuer}/bc-authorize`,
      '    then open the approval link from the mailbox, and poll the token endpoint with',
      `    grant_type=urn:openid:params:grant-type:ciba and the auth_req_id.`,
      options.autoApprove
        ? '  Sign-in and consent are approved automatically (--auto-approve).'
        : `  Sign-in and consent pages are shown in the browser. Demo users: ${REFERENCE_USERS.map(
            (user) => `${user.username} / ${user.password}`,
          ).join(', ')}.`,
      '  Consent flows: open the authorization URL of a flow client, e.g.',
      `    ${issuer}/authorize?response_type=code&client_id=flow-mfa&redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback` +
        '&scope=mcp%3Aadmin&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256',
      `    and sign in as ${corpUser.email} / ${corpUser.password} (homegrown credentials, then TOTP enrolment).`,
      '    Other flow clients: flow-sign-up-or-in, flow-consent, flow-oidc (upstream OpenID provider), flow-saml',
      '    (SAML HTTP-POST), flow-session-token; users and the audit log are in the console.',
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await untilStopped();
  await system.close();
  out.write('Stopped.\n');
  return 0;
}

function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
