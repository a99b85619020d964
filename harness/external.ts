import { resolve } from 'node:path';
import { createEnterpriseIdp, type EnterpriseIdp } from '../mocks/idps/enterprise/index.ts';
import { createHomegrownAuth, type HomegrownAuth } from '../mocks/idps/homegrown-auth/index.ts';
import { createUpstreamOidc, type UpstreamOidc } from '../mocks/idps/oidc/index.ts';
import { createSamlIdp, type SamlIdp } from '../mocks/idps/saml/index.ts';
import { createWorkloadIssuer, type WorkloadIssuer } from '../mocks/idps/workload/index.ts';
import { type CimdHost, createCimdHost } from './cimd/host.ts';
import { systemClock } from './clock.ts';
import { createDownstreamObserver, type DownstreamObserver, serveDownstreamObserver } from './downstream.ts';
import { autoLoginDriver } from './login/auto.ts';
import type { LoginDriver } from './login/types.ts';
import { Network, NetworkError } from './network/network.ts';
import { serveOnLoopback } from './network/serve.ts';
import type { FetchHandler } from './network/types.ts';
import type { SystemUnderTest } from './session.ts';
import type { TargetFile } from './target.ts';
import { createTokenLab, serveTokenLab, type TokenLab } from './token-lab/index.ts';
import { loopbackPort } from './token-lab/loopback.ts';
import { insertWellKnown } from './well-known.ts';

/**
 * A target described by a target file, reached over the real network. Only the hosts the file declares (resource,
 * issuer, token lab issuer, allowHosts) may be contacted.
 */
export async function externalSystemUnderTest(target: TargetFile): Promise<SystemUnderTest> {
  const network = new Network({ allowedHosts: declaredHosts(target), timeoutMs: target.timeoutMs });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const login = await loginDriverFor(target, network);
    closers.push(() => login.close());
    const tokenLab = await servedTokenLab(target, closers);
    const downstream = await servedDownstream(target, closers);
    const workloadIssuer = await servedWorkloadIssuer(target, closers);
    const enterpriseIdp = await servedEnterpriseIdp(target, closers);
    const cimd = await servedCimdHost(target, closers);
    const homegrown = await servedHomegrownAuth(target, closers);
    const upstreamOidc = await servedUpstreamOidc(target, closers);
    const samlIdp = await servedSamlIdp(target, closers);
    return {
      target,
      network,
      login,
      ...(tokenLab ? { tokenLab } : {}),
      ...(downstream ? { downstream } : {}),
      ...(workloadIssuer ? { workloadIssuer } : {}),
      ...(enterpriseIdp ? { enterpriseIdp } : {}),
      ...(cimd ? { cimd } : {}),
      ...(homegrown ? { homegrown } : {}),
      ...(upstreamOidc ? { upstreamOidc } : {}),
      ...(samlIdp ? { samlIdp } : {}),
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The token lab at the target's `tokenLab.issuer`, on loopback, for the duration of the run. */
async function servedTokenLab(target: TargetFile, closers: Array<() => Promise<void>>): Promise<TokenLab | undefined> {
  if (!target.tokenLab) return undefined;
  const lab = await createTokenLab({
    issuer: target.tokenLab.issuer,
    audience: target.resource ?? target.tokenLab.issuer,
    scope: target.scopes?.basic ?? '',
    clock: systemClock,
    ...(target.tokenLab.requiredClaims ? { defaultClaims: target.tokenLab.requiredClaims } : {}),
  });
  const served = await serveTokenLab(lab);
  closers.push(() => served.close());
  return lab;
}

async function servedDownstream(
  target: TargetFile,
  closers: Array<() => Promise<void>>,
): Promise<DownstreamObserver | undefined> {
  if (!target.downstream) return undefined;
  const observer = createDownstreamObserver(target.downstream.url);
  const served = await serveDownstreamObserver(observer);
  closers.push(() => served.close());
  return observer;
}

/** Serves a harness peer on 127.0.0.1 at the port of its declared URL, until the run closes. */
async function serveDeclared(
  handler: FetchHandler,
  url: string,
  field: string,
  closers: Array<() => Promise<void>>,
): Promise<void> {
  const served = await serveOnLoopback(handler, loopbackPort(url, field));
  closers.push(() => served.close());
}

async function servedWorkloadIssuer(
  target: TargetFile,
  closers: Array<() => Promise<void>>,
): Promise<WorkloadIssuer | undefined> {
  if (!target.workloadIssuer) return undefined;
  const { issuer } = target.workloadIssuer;
  const workload = await createWorkloadIssuer({ issuer, clock: systemClock, audience: target.issuer ?? issuer });
  await serveDeclared(workload.handler, issuer, 'workloadIssuer.issuer', closers);
  return workload;
}

/** The enterprise IdP knows the target's enterprise client, for the target's AS and MCP server. */
async function servedEnterpriseIdp(
  target: TargetFile,
  closers: Array<() => Promise<void>>,
): Promise<EnterpriseIdp | undefined> {
  if (!target.enterpriseIdp) return undefined;
  const { issuer } = target.enterpriseIdp;
  const client = target.clients.enterprise;
  const idp = await createEnterpriseIdp({
    issuer,
    clock: systemClock,
    clients: client
      ? [
          {
            client_id: client.client_id,
            client_secret: client.client_secret,
            audiences: target.issuer && target.resource ? { [target.issuer]: [target.resource] } : {},
            scopes: target.scopes?.basic ? [target.scopes.basic] : [],
          },
        ]
      : [],
    users: target.user ? [{ sub: target.user.username, email: target.user.username }] : [],
  });
  await serveDeclared(idp.handler, issuer, 'enterpriseIdp.issuer', closers);
  return idp;
}

/** The homegrown identity API the target's flow connectors call, at `byoa.homegrownAuth`. */
async function servedHomegrownAuth(
  target: TargetFile,
  closers: Array<() => Promise<void>>,
): Promise<HomegrownAuth | undefined> {
  if (!target.byoa) return undefined;
  const homegrown = createHomegrownAuth({ clock: systemClock });
  await serveDeclared(homegrown.handler, target.byoa.homegrownAuth, 'byoa.homegrownAuth', closers);
  return homegrown;
}

/** The upstream OpenID provider at `federation.oidc.issuer`, knowing the target AS as its declared client. */
async function servedUpstreamOidc(
  target: TargetFile,
  closers: Array<() => Promise<void>>,
): Promise<UpstreamOidc | undefined> {
  const declared = target.federation?.oidc;
  if (!declared) return undefined;
  const upstream = await createUpstreamOidc({
    issuer: declared.issuer,
    clock: systemClock,
    clients: [
      { client_id: declared.clientId, client_secret: declared.clientSecret, redirect_uris: [declared.redirectUri] },
    ],
  });
  await serveDeclared(upstream.handler, declared.issuer, 'federation.oidc.issuer', closers);
  return upstream;
}

/** The tenant SAML IdP at `federation.saml.idp` (entity ID `<idp>/metadata`, SSO `<idp>/sso`), knowing the target SP. */
async function servedSamlIdp(target: TargetFile, closers: Array<() => Promise<void>>): Promise<SamlIdp | undefined> {
  const declared = target.federation?.saml;
  if (!declared) return undefined;
  const base = declared.idp.replace(/\/$/, '');
  const idp = await createSamlIdp({
    entityId: `${base}/metadata`,
    ssoUrl: `${base}/sso`,
    clock: systemClock,
    serviceProviders: [{ entityId: declared.sp.entityId, acsUrl: declared.sp.acsUrl }],
  });
  await serveDeclared(idp.handler, declared.idp, 'federation.saml.idp', closers);
  return idp;
}

/**
 * Client ID Metadata Documents over https at the target's `cimd.host`, certified by the test CA at `cimd.caFile`.
 * Canary addresses are not served: on an external target the harness sees only that the AS refused them.
 */
async function servedCimdHost(target: TargetFile, closers: Array<() => Promise<void>>): Promise<CimdHost | undefined> {
  if (!target.cimd) return undefined;
  const caFile = resolve(target.cimd.caFile);
  const host = createCimdHost({
    origin: target.cimd.host,
    redirectUri: target.redirectUri,
    observesCanaries: false,
    caFile,
  });
  const { serveOverHttpsOnLoopback } = await import('./cimd/serve.ts');
  const served = await serveOverHttpsOnLoopback(host.handler, { port: Number(new URL(target.cimd.host).port), caFile });
  closers.push(() => served.close());
  return host;
}

export function declaredHosts(target: TargetFile): string[] {
  const urls = [
    target.resource,
    target.issuer,
    target.tokenLab?.issuer,
    target.alternateResource,
    target.downstream?.url,
    target.workloadIssuer?.issuer,
    target.enterpriseIdp?.issuer,
    target.ciba?.mailbox,
    target.byoa?.homegrownAuth,
    target.federation?.oidc?.issuer,
    target.federation?.saml?.idp,
    target.federation?.saml?.sp.metadataUrl,
  ];
  const hosts = urls.filter((url): url is string => url !== undefined).map((url) => new URL(url).host);
  return [...hosts, ...(target.allowHosts ?? [])];
}

async function loginDriverFor(target: TargetFile, network: Network): Promise<LoginDriver> {
  if (target.login.mode === 'auto') return autoLoginDriver({ network });
  const { browserLoginDriver } = await import('./login/browser.ts');
  return browserLoginDriver({
    network,
    onExchange: (exchange) => network.record(exchange),
    steps: target.login.steps,
    ...(target.user ? { user: target.user } : {}),
    ...(target.login.stepTimeoutMs ? { stepTimeoutMs: target.login.stepTimeoutMs } : {}),
    ...(target.login.headed ? { headed: target.login.headed } : {}),
  });
}

/** Fails fast, naming the URL, when the target does not answer at all (any HTTP status counts as an answer). */
export async function probeTarget(sut: SystemUnderTest): Promise<void> {
  const { resource, issuer } = sut.target;
  const url = issuer ? insertWellKnown(issuer, 'oauth-authorization-server') : resource!;
  try {
    await sut.network.fetch(url, { method: 'GET', redirect: 'manual' });
  } catch (error) {
    if (error instanceof NetworkError) throw new NetworkError(`${url}: ${error.message}`, url);
    throw error;
  }
}
