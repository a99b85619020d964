/** Consent-flow data: a flow is plain JSON chosen per client, interpreted by `engine.ts`. */

import type { Fetch } from '../../harness/network/types.ts';

/** A JSON value; in templates every string leaf may hold `{{path}}` placeholders. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type Scalar = string | number | boolean | null;

/** Conditions are data, never code: each operand that is a string path is read from the flow context. */
export type Condition =
  | { equals: [string, Scalar] }
  | { exists: string }
  | { in: [string, Scalar[]] }
  | { gt: [string, number] }
  | { lt: [string, number] }
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition };

export type FieldType = 'text' | 'email' | 'password';

export interface FormField {
  name: string;
  type: FieldType;
  required: boolean;
}

interface StepBase {
  id: string;
  /** The step that runs next; defaults to the following step in `steps`. */
  next?: string;
}

export interface ScreenStep extends StepBase {
  kind: 'screen';
  fields: FormField[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ConnectorStep extends StepBase {
  kind: 'connector';
  /** The response lands in the context as `connectors.<name>` = {status, body}. */
  name: string;
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  body?: JsonValue;
  timeoutMs: number;
}

/** Maps values (typically connector responses) into `form.*`, e.g. form.email before Generate JWT. */
export interface SetFormStep extends StepBase {
  kind: 'set-form';
  values: Record<string, string>;
}

export interface ConditionStep {
  kind: 'condition';
  id: string;
  if: Condition;
  /** Step ids (not `then`/`else`: a `then` property would make the step a thenable). */
  whenTrue: string;
  whenFalse: string;
}

export type GenerateJwtMode = 'sign-in' | 'sign-up' | 'sign-up-or-in';

export interface GenerateJwtStep extends StepBase {
  kind: 'generate-jwt';
  mode: GenerateJwtMode;
}

export interface UpdateUserStep extends StepBase {
  kind: 'update-user';
  attributes: Record<string, string>;
}

export interface CustomClaimsStep extends StepBase {
  kind: 'custom-claims';
  claims: Record<string, JsonValue>;
}

export interface EndStep {
  kind: 'end';
  id: string;
}

export type Step =
  | ScreenStep
  | ConnectorStep
  | SetFormStep
  | ConditionStep
  | GenerateJwtStep
  | UpdateUserStep
  | CustomClaimsStep
  | EndStep;

export type StepKind = Step['kind'];

/** What a template does when a path is absent from the context. */
export type MissingValuePolicy = 'empty' | 'error';

export interface Flow {
  id: string;
  steps: Step[];
  /** Default 'empty': a missing path renders as "". */
  onMissingValue?: MissingValuePolicy;
}

export interface FlowUser {
  id: string;
  email?: string;
  externalId?: string;
  attributes: Record<string, string>;
}

export interface NewUser {
  email?: string;
  externalId?: string;
}

/** The user store behind Generate JWT and Update User. */
export interface UserDirectory {
  findByEmail(email: string): Promise<FlowUser | undefined>;
  findByExternalId(externalId: string): Promise<FlowUser | undefined>;
  create(user: NewUser): Promise<FlowUser>;
  update(id: string, attributes: Record<string, string>): Promise<FlowUser>;
}

export interface FlowDeps {
  fetch: Fetch;
  users: UserDirectory;
  /** Upper bound on executed steps per run; default 100. */
  maxSteps?: number;
}

export interface ConnectorResponse {
  status: number;
  body: JsonValue;
}

/** Everything templates and conditions can read. */
export interface FlowContext {
  form: Record<string, string>;
  connectors: Record<string, ConnectorResponse>;
  user?: FlowUser;
  claims: Record<string, JsonValue>;
}

export interface FlowOutcome {
  user: FlowUser;
  claims: Record<string, JsonValue>;
}

export type FlowState =
  | { status: 'paused'; screen: string; fields: FormField[]; message: string; errors: string[] }
  | { status: 'done'; outcome: FlowOutcome }
  | { status: 'failed'; reason: string; stepId?: string };

/** A flow-level failure with a message a flow author can act on; the run ends in `failed`. */
export class FlowError extends Error {
  override readonly name = 'FlowError';
}
