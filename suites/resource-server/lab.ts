import { type Check, type CheckDefinition, check } from '../../harness/check.ts';
import { epochSeconds, systemClock } from '../../harness/clock.ts';
import type { CheckContext } from '../../harness/context.ts';
import type { MintOptions, TokenLab } from '../../harness/token-lab/index.ts';
import { expectInvalidToken, requireServed } from './replies.ts';

/** A token variant: fixed mint options, or options computed from the run (the time, the lab, the target). */
export type LabVariant = MintOptions | ((scene: LabScene) => MintOptions);

export interface LabScene {
  ctx: CheckContext;
  lab: TokenLab;
  /** The lab's now, in JWT seconds (the harness clock of the embedded reference, else the system clock). */
  now: number;
}

interface LabCheckOptions extends Pick<CheckDefinition, 'id' | 'title' | 'description' | 'requirements' | 'specs'> {
  level?: CheckDefinition['level'];
  variant: LabVariant;
  /** The token in a phrase, for the verdict: "a token whose exp has passed". */
  what: string;
  /** Why the outcome matters, or how to fix it. */
  why: string;
}

/** Mints the variant with the lab the RS was seen to trust. */
export async function mintVariant(ctx: CheckContext, variant: LabVariant): Promise<string> {
  const lab = await ctx.tokenLab();
  const options = typeof variant === 'function' ? variant({ ctx, lab, now: labNow(ctx) }) : variant;
  return lab.mint(options);
}

function labNow(ctx: CheckContext): number {
  return epochSeconds(ctx.clock ?? systemClock);
}

function labCheck(options: LabCheckOptions, run: (ctx: CheckContext, token: string) => Promise<string>): Check {
  const { variant, what, why, level = 'MUST', ...definition } = options;
  return check({
    ...definition,
    level,
    needs: ['resource', 'token-lab'],
    async run(ctx) {
      return run(ctx, await mintVariant(ctx, variant));
    },
  });
}

/** A lab token that differs from a valid one in one respect must be refused with 401 invalid_token. */
export function labRejects(options: LabCheckOptions): Check {
  return labCheck(options, (ctx, token) => expectInvalidToken(ctx, token, options.what, options.why));
}

/** A lab token that is valid, though unusual in one respect, must be served. */
export function labAccepts(options: LabCheckOptions): Check {
  return labCheck(options, async (ctx, token) =>
    requireServed(await ctx.mcp.post({ token }), options.what, options.why),
  );
}
