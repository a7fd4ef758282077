// The pulltrace command line: `node electron/core/cli/main.ts export --context X --since 24h --out pulls.csv`.
// Exit codes: 0 done, 1 the work failed (I/O, damaged history), 2 bad command line.
import { HistoryError } from '../history/errors.ts';
import { EXPORT_USAGE, runExport, UsageError } from './export-command.ts';

const USAGE = `Usage: pulltrace <command> [options]

Commands:
  export   write the pull history as CSV (pulltrace export --help)
`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'export') {
    process.stderr.write(`pulltrace: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(EXPORT_USAGE);
    return 0;
  }
  try {
    await runExport(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, now: Date.now() });
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`pulltrace export: ${error.message}\n\n${EXPORT_USAGE}`);
      return 2;
    }
    if (error instanceof HistoryError) {
      process.stderr.write(`pulltrace export: ${error.message}\n`);
      return 1;
    }
    if (error instanceof Error && 'code' in error && error.code === 'EPIPE') return 0; // e.g. `| head`
    process.stderr.write(`pulltrace export: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
