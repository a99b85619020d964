import { check } from '../../harness/check.ts';
import type { CheckContext } from '../../harness/context.ts';
import { toolName } from '../../harness/mcp.ts';
import { mintVariant } from './lab.ts';
import { requireServed } from './replies.ts';

export const scopeHierarchy = check({
  id: 'resource-server.scope-hierarchy',
  title: 'A token holding only the elevated scope may call a tool that needs the basic one',
  description: 'MCP 2026-07-28 "Step-Up Authorization Flow": a broader scope implies the narrower ones it covers.',
  requirements: ['RS-SCOPE-HIERARCHY'],
  level: 'MUST',
  specs: ['2026-07-28'],
  needs: ['resource', 'token-lab', 'elevated-scope'],
  async run(ctx: CheckContext) {
    const { scopes } = ctx.target;
    const basicTool = ctx.target.tools?.basic;
    if (!scopes?.elevatedIncludesBasic) {
      ctx.skip(
        'the target does not declare that its elevated scope includes the basic one (scopes.elevatedIncludesBasic)',
      );
    }
    if (!basicTool) ctx.skip('the target declares no tool for the basic scope ("tools.basic")');
    const token = await mintVariant(ctx, { claims: { scope: scopes.elevated } });
    const reply = await ctx.mcp.callTool(token, basicTool);
    return requireServed(
      reply,
      `tools/call ${toolName(basicTool)} with a token holding only "${scopes.elevated}"`,
      `The target declares that "${scopes.elevated}" includes "${scopes.basic}"; judge sufficiency with that hierarchy.`,
    );
  },
});
