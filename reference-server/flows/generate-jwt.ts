/** Generate JWT actions: find or create the flow's user from form.email / form.externalId. */

import type { FlowContext, FlowUser, GenerateJwtStep, NewUser, UserDirectory } from './types.ts';
import { FlowError } from './types.ts';

/** Seed 001: a prior step must set form.email or form.externalId — the login ID to create or match. */
export function loginIdentity(context: FlowContext, step: GenerateJwtStep): NewUser {
  const email = context.form.email || undefined;
  const externalId = context.form.externalId || undefined;
  if (!email && !externalId) {
    throw new FlowError(
      `generate-jwt ${step.id}: form.email or form.externalId must be set by an earlier screen or set-form step`,
    );
  }
  return { email, externalId };
}

async function findExisting(users: UserDirectory, identity: NewUser): Promise<FlowUser | undefined> {
  const byEmail = identity.email ? await users.findByEmail(identity.email) : undefined;
  if (byEmail) return byEmail;
  return identity.externalId ? await users.findByExternalId(identity.externalId) : undefined;
}

export async function provisionUser(step: GenerateJwtStep, context: FlowContext, users: UserDirectory) {
  const identity = loginIdentity(context, step);
  switch (step.mode) {
    // Seed 001: Sign In — only a user who already exists.
    case 'sign-in': {
      const existing = await findExisting(users, identity);
      if (!existing) throw new FlowError(`generate-jwt ${step.id}: no existing user matches ${describe(identity)}`);
      return existing;
    }
    // Seed 001: Sign Up — always creates a new user.
    case 'sign-up':
      return users.create(identity);
    // Seed 001: Sign Up or In — match by email or external ID, else create.
    case 'sign-up-or-in':
      return (await findExisting(users, identity)) ?? users.create(identity);
  }
}

function describe(identity: NewUser): string {
  return identity.email
    ? `form.email ${JSON.stringify(identity.email)}`
    : `form.externalId ${JSON.stringify(identity.externalId)}`;
}
