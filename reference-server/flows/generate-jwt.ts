/** Generate JWT actions: find or create the flow's user from form.email / form.externalId. */

import { hasDefect } from './defects.ts';
import type { FlowContext, FlowDeps, FlowUser, GenerateJwtStep, NewUser } from './types.ts';
import { FlowError } from './types.ts';

type ProvisionDeps = Pick<FlowDeps, 'users' | 'defects'>;

/** Seed 001: a prior step must set form.email or form.externalId — the login ID to create or match. */
export function loginIdentity(context: FlowContext, step: GenerateJwtStep, deps: ProvisionDeps): NewUser {
  const email = context.form.email || undefined;
  const externalId = context.form.externalId || undefined;
  if (!email && !externalId) {
    if (hasDefect(deps, 'generate-jwt-without-login-id')) return {};
    throw new FlowError(
      `generate-jwt ${step.id}: form.email or form.externalId must be set by an earlier screen or set-form step`,
    );
  }
  return { email, externalId };
}

/** Sign-up-or-in and sign-in match by email, then by external ID. */
async function findExisting(deps: ProvisionDeps, identity: NewUser): Promise<FlowUser | undefined> {
  const { users } = deps;
  if (hasDefect(deps, 'sign-in-refuses-existing-user')) return undefined;
  const byEmail = identity.email ? await users.findByEmail(identity.email) : undefined;
  if (byEmail) return byEmail;
  if (hasDefect(deps, 'sign-up-or-in-email-only')) return undefined;
  return identity.externalId ? await users.findByExternalId(identity.externalId) : undefined;
}

/** Seed 004: a federated login links to the user who signed in with the same upstream account before. */
function linksFederatedUsers(context: FlowContext, deps: ProvisionDeps): boolean {
  const protocol = context.federated?.protocol;
  if (protocol === 'oidc') return !hasDefect(deps, 'oidc-user-not-linked');
  if (protocol === 'saml') return !hasDefect(deps, 'saml-user-not-linked');
  return true;
}

export async function provisionUser(step: GenerateJwtStep, context: FlowContext, deps: ProvisionDeps) {
  const identity = loginIdentity(context, step, deps);
  const { users } = deps;
  if (hasDefect(deps, 'generate-jwt-single-user')) {
    const first = await users.first?.();
    if (first) return first;
  }
  if (!linksFederatedUsers(context, deps)) return users.create(identity);
  switch (step.mode) {
    // Seed 001: Sign In — only a user who already exists.
    case 'sign-in': {
      const existing = await findExisting(deps, identity);
      if (existing) return existing;
      if (hasDefect(deps, 'sign-in-creates-user')) return users.create(identity);
      throw new FlowError(`generate-jwt ${step.id}: no existing user matches ${describe(identity)}`);
    }
    // Seed 001: Sign Up — always creates a new user.
    case 'sign-up':
      if (hasDefect(deps, 'sign-up-reuses-user') && identity.email) {
        return (await users.findByEmail(identity.email)) ?? users.create(identity);
      }
      return users.create(identity);
    // Seed 001: Sign Up or In — match by email or external ID, else create.
    case 'sign-up-or-in':
      return (await findExisting(deps, identity)) ?? users.create(identity);
  }
}

function describe(identity: NewUser): string {
  return identity.email
    ? `form.email ${JSON.stringify(identity.email)}`
    : `form.externalId ${JSON.stringify(identity.externalId)}`;
}
