// Command-line arguments for every lesson program: one parser, one usage line.
// Bad input prints the usage line and the reason on stderr, then exits with 1,
// so a typo never turns into a confusing socket error later on. `--help` prints
// the usage line and what each argument means on stdout, then exits with 0.

import { parseArgs as parseNodeArgs } from 'node:util';

export type ArgKind = 'host' | 'port' | 'count' | 'text';

export interface PositionalSpec {
  name: string;
  kind: ArgKind;
  /** Present for optional arguments, shown as `[name]` in the usage line. */
  default?: string;
  /** What the argument means, for `--help`, e.g. `the port to listen on (0: any free port)`. */
  help?: string;
}

export interface OptionSpec {
  /** `flag` is on or off; the other kinds take a value: `--name VALUE`. */
  kind: 'flag' | 'count' | 'seconds' | 'text';
  /** The value's placeholder in the usage line, e.g. `BYTES`. */
  valueName?: string;
  default?: string;
  /** What the option does, for `--help`. */
  help?: string;
}

export interface CommandSpec {
  program: string;
  /** One sentence on what the program does, the first line `--help` prints after the usage. */
  summary?: string;
  positionals: readonly PositionalSpec[];
  options?: Readonly<Record<string, OptionSpec>>;
}

export type ParsedValue = string | number | boolean;

type ValueOf<Kind> = Kind extends 'port' | 'count' | 'seconds'
  ? number
  : Kind extends 'flag'
    ? boolean
    : string;
type Options<S extends CommandSpec> = NonNullable<S['options']>;

/**
 * The parsed values by name, typed from the spec: ports, counts and seconds are
 * numbers, flags are booleans, the rest strings; an option with no default may be undefined.
 */
export type ParsedArgs<S extends CommandSpec> = {
  [P in S['positionals'][number] as P['name']]: ValueOf<P['kind']>;
} & {
  [N in keyof Options<S>]: Options<S>[N] extends { kind: 'flag' } | { default: string }
    ? ValueOf<Options<S>[N]['kind']>
    : ValueOf<Options<S>[N]['kind']> | undefined;
};

export class UsageError extends Error {
  override name = 'UsageError';
}

export function usageLine(spec: CommandSpec): string {
  const parts = [`Usage: ${spec.program}`];
  for (const arg of spec.positionals) {
    parts.push(arg.default === undefined ? `<${arg.name}>` : `[${arg.name}]`);
  }
  for (const [name, option] of Object.entries(spec.options ?? {})) {
    parts.push(
      option.kind === 'flag'
        ? `[--${name}]`
        : `[--${name} ${option.valueName ?? 'VALUE'}]`,
    );
  }
  return parts.join(' ');
}

/** The usage line, the summary, then one line per argument and option: what `--help` prints. */
export function helpText(spec: CommandSpec): string {
  const rows: Array<[string, string]> = [];
  for (const arg of spec.positionals) {
    const shownDefault = arg.default === undefined ? '' : ` (default ${arg.default})`;
    rows.push([arg.name, `${arg.help ?? defaultHelp(arg.kind)}${shownDefault}`]);
  }
  for (const [name, option] of Object.entries(spec.options ?? {})) {
    const label =
      option.kind === 'flag' ? `--${name}` : `--${name} ${option.valueName ?? 'VALUE'}`;
    const shownDefault =
      option.default === undefined ? '' : ` (default ${option.default})`;
    rows.push([label, `${option.help ?? ''}${shownDefault}`.trim()]);
  }
  rows.push(['--help', 'show this help and exit']);
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = [usageLine(spec)];
  if (spec.summary !== undefined) lines.push('', spec.summary);
  lines.push('', ...rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`));
  return lines.join('\n');
}

function defaultHelp(kind: ArgKind): string {
  switch (kind) {
    case 'host':
      return 'an IP address or host name, e.g. 127.0.0.1 or ::1';
    case 'port':
      return 'a TCP port from 0 to 65535; 0 lets the system pick a free one';
    case 'count':
      return 'a whole number of at least 1';
    case 'text':
      return 'any text';
  }
}

function convert(
  name: string,
  kind: ArgKind | OptionSpec['kind'],
  raw: string,
): ParsedValue {
  switch (kind) {
    case 'port': {
      const port = Number(raw);
      if (!/^\d+$/.test(raw) || port > 65535) {
        throw new UsageError(
          `${name} must be a whole number from 0 to 65535 (0 picks a free port), got "${raw}"`,
        );
      }
      return port;
    }
    case 'count': {
      const count = Number(raw);
      if (!/^\d+$/.test(raw) || count < 1 || !Number.isSafeInteger(count)) {
        throw new UsageError(
          `${name} must be a whole number of at least 1, got "${raw}"`,
        );
      }
      return count;
    }
    case 'seconds': {
      const seconds = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
        throw new UsageError(
          `${name} must be a number of seconds above 0, got "${raw}"`,
        );
      }
      return seconds;
    }
    case 'host':
      if (raw.trim() === '') throw new UsageError(`${name} must not be empty`);
      return raw;
    default:
      return raw;
  }
}

/** Parses `argv` against `spec`; throws UsageError on bad input. Pure, so it can be tested. */
export function parseCommandLine<const S extends CommandSpec>(
  spec: S,
  argv: readonly string[],
): ParsedArgs<S> {
  const optionSpecs = spec.options ?? {};
  // node:util would read "-1" as an unknown option; say what is really wrong.
  const negative = argv.find((arg) => /^-\d/.test(arg));
  if (negative !== undefined)
    throw new UsageError(
      `"${negative}" is negative: ports, counts and sizes cannot be`,
    );
  let parsed;
  try {
    parsed = parseNodeArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(optionSpecs).map(([name, option]) => [
          name,
          { type: option.kind === 'flag' ? ('boolean' as const) : ('string' as const) },
        ]),
      ),
    });
  } catch (error) {
    // node:util explains unknown options well; keep its sentence, drop its code.
    throw new UsageError((error as Error).message.split('\n')[0] ?? 'bad arguments');
  }

  const required = spec.positionals.filter((arg) => arg.default === undefined).length;
  if (
    parsed.positionals.length < required ||
    parsed.positionals.length > spec.positionals.length
  ) {
    const expected =
      required === spec.positionals.length
        ? `${required}`
        : `${required} to ${spec.positionals.length}`;
    throw new UsageError(
      `expected ${expected} arguments, got ${parsed.positionals.length}`,
    );
  }

  const values: Record<string, ParsedValue | undefined> = {};
  spec.positionals.forEach((arg, index) => {
    const raw = parsed.positionals[index] ?? arg.default ?? '';
    values[arg.name] = convert(arg.name, arg.kind, raw);
  });
  for (const [name, option] of Object.entries(optionSpecs)) {
    const raw = parsed.values[name];
    if (option.kind === 'flag') {
      values[name] = raw === true;
    } else if (typeof raw === 'string') {
      values[name] = convert(`--${name}`, option.kind, raw);
    } else {
      values[name] =
        option.default === undefined
          ? undefined
          : convert(`--${name}`, option.kind, option.default);
    }
  }
  return values as ParsedArgs<S>;
}

/**
 * Parses `process.argv`, or prints the usage line and the reason, then exits with 1.
 * `--help` (or `-h`) anywhere prints the help text and exits with 0.
 */
export function parseArgsOrExit<const S extends CommandSpec>(
  spec: S,
  argv: readonly string[] = process.argv.slice(2),
): ParsedArgs<S> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${helpText(spec)}\n`);
    process.exit(0);
  }
  try {
    return parseCommandLine(spec, argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${usageLine(spec)}\n${spec.program}: ${error.message}\n`);
    process.exit(1);
  }
}
