import * as oauth from 'oauth4webapi';

export interface Challenge {
  /** Lowercased auth-scheme, e.g. `bearer`. */
  scheme: string;
  parameters: Record<string, string | undefined>;
}

/**
 * Parses `WWW-Authenticate` with oauth4webapi's parser (RFC 9110 §11.6.1: several challenges, quoted strings, token68).
 * The library exposes its parser through the error a protected-resource request raises on a challenge, so the response
 * is replayed into that request.
 */
export async function parseChallenges(response: Response): Promise<Challenge[]> {
  if (!response.headers.get('www-authenticate')) return [];
  try {
    await oauth.protectedResourceRequest('probe', 'GET', new URL('https://challenge.invalid/'), new Headers(), null, {
      [oauth.customFetch]: async () => response.clone(),
    });
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      return error.cause.map((challenge) => ({ scheme: challenge.scheme, parameters: { ...challenge.parameters } }));
    }
    throw error;
  }
  return [];
}

/** The first Bearer challenge, if any. */
export async function bearerChallenge(response: Response): Promise<Challenge | undefined> {
  return (await parseChallenges(response)).find((challenge) => challenge.scheme === 'bearer');
}

/** The Bearer challenge of a reply already read into memory. */
export function replyBearerChallenge(reply: { status: number; headers: Headers }): Promise<Challenge | undefined> {
  return bearerChallenge(new Response(null, { status: reply.status, headers: reply.headers }));
}
