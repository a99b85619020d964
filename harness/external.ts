import { systemClock } from './clock.ts';
import { createDownstreamObserver, type DownstreamObserver, serveDownstreamObserver } from './downstream.ts';
import { autoLoginDriver } from './login/auto.ts';
import type { LoginDriver } from './login/types.ts';
import { Network, NetworkError } from './network/network.ts';
import type { SystemUnderTest } from './session.ts';
import type { TargetFile } from './target.ts';
import { createTokenLab, serveTokenLab, type TokenLab } from './token-lab/index.ts';
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
    return {
      target,
      network,
      login,
      ...(tokenLab ? { tokenLab } : {}),
      ...(downstream ? { downstream } : {}),
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

export function declaredHosts(target: TargetFile): string[] {
  const urls = [
    target.resource,
    target.issuer,
    target.tokenLab?.issuer,
    target.alternateResource,
    target.downstream?.url,
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
