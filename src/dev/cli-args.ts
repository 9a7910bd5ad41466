import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * The command line of one of the project's commands (node:util's parseArgs): `--help` or `-h`
 * prints the usage and exits 0; an unknown option or a missing value says so in one line with
 * the usage and exits 2, instead of node's stack trace.
 */
export function commandLine<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const argv = config.args ?? process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    // node's message goes on about positionals after '--': its first sentence is the problem.
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) usageExit(usage, (err as Error).message.split(/\.\s/)[0]!);
    throw err;
  }
}

/**
 * The arguments after the script, without a leading `--`: `tsx src/analyze.ts -- <url>` passes the
 * `--` that `npm run analyze --` would have taken, and parseArgs would read all after it as positionals.
 */
export function scriptArgs(): string[] {
  return process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
}

/** Says what is wrong with the command line, then the usage; exits 2. */
export function usageExit(usage: string, problem: string): never {
  console.error(`${problem}\n\n${usage}`);
  process.exit(2);
}
