// The command line's arguments: one parser for every command, and the error for input the user got wrong.

/** Errors that are the user's input, reported as one line each with exit code 2. */
export class UsageError extends Error {}

export interface ParsedArgs {
  command: string;
  positional: string[];
  set: string[];
  /** --sbatch-arg values (sweeps on Slurm), in order. */
  sbatchArgs: string[];
  /** --with values (theory: other runs to compare with), in order. */
  withRuns: string[];
  flags: Map<string, string>;
  json: boolean;
  /** Options without a value that were given (e.g. --from-wheel). */
  switches: Set<string>;
}

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { command: argv[0] ?? '', positional: [], set: [], sbatchArgs: [], withRuns: [], flags: new Map(), json: false, switches: new Set() };
  const withValue = new Set(['--set', '--epochs', '--backend', '--out', '--samples', '--k', '--ll-examples', '--seed', '--dir', '--wheel', '--executor', '--parallel', '--partition', '--time', '--cpus-per-task', '--throttle', '--sbatch-arg', '--mirror', '--exact-examples', '--example', '--with', '--gmm', '--sample-quality']);
  const switches = new Set(['--from-wheel', '--download', '--exact']);
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = true;
    else if (switches.has(a)) out.switches.add(a);
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(0, eq) : a;
      if (!withValue.has(name)) throw new UsageError(`unknown option ${name} (see vae-lab --help).`);
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value.`);
      if (name === '--set') out.set.push(value);
      else if (name === '--sbatch-arg') out.sbatchArgs.push(value);
      else if (name === '--with') out.withRuns.push(value);
      else out.flags.set(name, value);
    } else out.positional.push(a);
  }
  return out;
}

export function positiveInt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a whole number of at least 1, got "${v}".`);
  return n;
}

export function onePositional(args: ParsedArgs, usage: string): string {
  if (args.positional.length !== 1) throw new UsageError(`usage: vae-lab ${usage}`);
  return args.positional[0];
}

