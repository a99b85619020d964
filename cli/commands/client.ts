import { UsageError } from '../errors.ts';

export interface ClientCommandOptions {
  command?: string;
  scenario?: string;
  suite?: string;
}

/** `client`: MCP client conformance (DESIGN §3); the options are parsed so scripts written for it keep working. */
export async function clientCommand(_options: ClientCommandOptions): Promise<never> {
  throw new UsageError('client mode is not available yet');
}
