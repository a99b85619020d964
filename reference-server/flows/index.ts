export { RESERVED_CLAIMS } from './claims.ts';
export { evaluateCondition } from './conditions.ts';
export type { FlowRun } from './engine.ts';
export { DEFAULT_MAX_STEPS, startFlow } from './engine.ts';
export { MemoryUserDirectory } from './memory-directory.ts';
export { renderJson, renderText, renderUrl, resolvePath } from './templates.ts';
export * from './types.ts';
export type { FlowIssue } from './validate.ts';
export { validateFlow } from './validate.ts';
