import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SPEC, SPEC_VERSIONS } from '../harness/results.ts';
import { type ClientCommandOptions, clientCommand } from './commands/client.ts';
import { listCommand } from './commands/list.ts';
import { type RunCommandOptions, runCommand } from './commands/run.ts';
import { type ServeCommandOptions, serveCommand } from './commands/serve.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { describeSetupError, EXIT } from './errors.ts';

/** The `mcp-auth-conformance` command (DESIGN §3); resolves to the process exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.setup;
    process.stderr.write(`${describeSetupError(error)}\n`);
    return EXIT.setup;
  }
}

function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('mcp-auth-conformance')
    .description('Conformance and simulation harness for MCP authorization')
    .version('0.1.0')
    .exitOverride();
  const stdout = process.stdout;

  program
    .command('run')
    .description('run the conformance suites against a target (default: the embedded reference system, in memory)')
    .option('--target <file>', 'target file (JSON) describing the system under test')
    .addOption(new Option('--suite <name>', 'run only this suite (repeatable)').argParser(collect).default([], 'all'))
    .addOption(new Option('--spec <version>', 'MCP spec revision').choices(SPEC_VERSIONS).default(DEFAULT_SPEC))
    .option('--out <dir>', 'folder for the reports', './conformance-report')
    .option('--expected-failures <file>', 'YAML baseline of checks allowed to fail')
    .option('--seed <n>', 'seed for generated test data', parseSeed, 1)
    .option('--reveal-secrets', 'keep tokens and secrets unredacted in the reports')
    .action(async (options: RunCommandOptions) => setExitCode(await runCommand(options, stdout)));

  program
    .command('serve')
    .description('serve the reference system on 127.0.0.1 ports for exploring; Ctrl-C stops')
    .option(
      '--port <n>',
      'port of the authorization server; the MCP server takes the next (0: any free ports)',
      parsePort,
    )
    .option('--auto-approve', 'approve sign-in and consent without pages')
    .action(async (options: ServeCommandOptions) => setExitCode(await serveCommand(options, stdout)));

  program
    .command('list')
    .description('list suites, checks, levels and requirement IDs, then the client scenarios and their checks')
    .option('--suite <name>', 'only this suite ("client": only the client scenarios)')
    .action(async (options: { suite?: string }) => setExitCode(await listCommand(options, stdout)));

  program
    .command('client')
    .description('client conformance: play AS + MCP server on 127.0.0.1 and judge an MCP client run against them')
    .option('--command <cmd>', 'command that starts the client; the MCP server URL is appended')
    .option('--scenario <name>', 'run one scenario (e.g. auth/basic-dcr)')
    .option('--suite <name>', 'run one client suite (e.g. auth)')
    .addOption(new Option('--spec <version>', 'MCP spec revision').choices(SPEC_VERSIONS).default(DEFAULT_SPEC))
    .option('--out <dir>', 'folder for the reports', './conformance-report')
    .option('--timeout <seconds>', "time each scenario's client may run", parseTimeout, 30)
    .option('--expected-failures <file>', 'YAML baseline of checks allowed to fail (its client: list)')
    .option('--reveal-secrets', 'keep tokens and secrets unredacted in the reports')
    .action(async (options: ClientCommandOptions) => setExitCode(await clientCommand(options, stdout)));

  registerSimulateCommand(program, setExitCode, stdout);

  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seed)) {
    throw new InvalidArgumentError('expected a non-negative integer.');
  }
  return seed;
}

function parseTimeout(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value) || seconds < 1 || seconds > 3600) {
    throw new InvalidArgumentError('expected whole seconds from 1 to 3600.');
  }
  return seconds;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('expected an integer from 0 to 65535.');
  return port;
}

/** Run directly (`tsx cli/main.ts run`) as well as through `cli/bin.js`. */
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exit(await main());
