// A transcript: what one program printed, as data. The harness records one per
// program it starts; a failing check carries them (in vitest's task meta) to
// `npm run check`, which shows them to the learner; the site shows them on the
// lesson pages. No execa, no vitest here, so every one of them can import it.

/** Lines left out of the middle of a long output: the first `after` lines were kept, then `lines` were cut. */
export interface LinesCut {
  after: number;
  lines: number;
}

export interface Transcript {
  /** The command line, e.g. `echo-client.ts 127.0.0.1 38247`. */
  command: string;
  /** `exit code 0`, `still running`, `stopped by the check`, ... */
  status: string;
  stdout: string[];
  stderr: string[];
  /** Where long output lost its middle lines (see LineStore). */
  cut?: { stdout?: LinesCut; stderr?: LinesCut };
}

/** Lines kept from the start of each stream of a program: the checks read them. */
export const HEAD_LINES = 10_000;
/** Lines kept from the end of each stream once the start is full. */
export const TAIL_LINES = 1_000;
/** Longer lines keep their start and say how many characters were left out. */
export const MAX_LINE_CHARS = 2_000;

/** A line no longer than `max` characters, saying how much was left out. */
export function clipLine(line: string, max = MAX_LINE_CHARS): string {
  if (line.length <= max) return line;
  // A copy, so the kept part does not hold on to a huge original string.
  const kept = Buffer.from(line.slice(0, max), 'utf8').toString('utf8');
  return `${kept}… (${line.length - max} more characters)`;
}

/**
 * One output stream's lines, bounded: the first HEAD_LINES and the last
 * TAIL_LINES, each clipped to MAX_LINE_CHARS, and a count of what was left out
 * between them. `lines` is a plain array that checks read; line numbers given to
 * `at` count every line the program printed, cut or not.
 */
export class LineStore {
  readonly lines: string[] = [];
  /** Lines removed after the first `head` lines. */
  cutLines = 0;

  private readonly head: number;
  private readonly tail: number;

  constructor(head = HEAD_LINES, tail = TAIL_LINES) {
    this.head = head;
    this.tail = tail;
  }

  /** Every line printed so far, including the ones cut. */
  get total(): number {
    return this.lines.length + this.cutLines;
  }

  add(line: string): void {
    this.lines.push(clipLine(line));
    // Cut in batches, so a program printing millions of lines costs little.
    if (this.lines.length >= this.head + 2 * this.tail) {
      const extra = this.lines.length - this.head - this.tail;
      this.lines.splice(this.head, extra);
      this.cutLines += extra;
    }
  }

  /** Cuts the lines beyond the first `head` and last `tail` now (the program has finished). */
  compact(): void {
    const extra = this.lines.length - this.head - this.tail;
    if (extra <= 0) return;
    this.lines.splice(this.head, extra);
    this.cutLines += extra;
  }

  /** The line with number `index` (0-based, counting cut lines too), or undefined when it was cut. */
  at(index: number): string | undefined {
    if (index < this.head || this.cutLines === 0) return this.lines[index];
    const position = index - this.cutLines;
    return position < this.head ? undefined : this.lines[position];
  }

  /** The kept lines, the first `head` and at most the last `tail`, and where the cut is. */
  snapshot(): { lines: string[]; cut?: LinesCut } {
    const lines = [...this.lines];
    const excess = Math.max(0, lines.length - this.head - this.tail);
    if (excess > 0) lines.splice(this.head, excess);
    const cutLines = this.cutLines + excess;
    return cutLines === 0 ? { lines } : { lines, cut: { after: this.head, lines: cutLines } };
  }
}

/** A transcript's lines of one stream, with a line saying where lines were cut. */
export function linesWithCut(lines: readonly string[], cut: LinesCut | undefined): string[] {
  if (cut === undefined) return [...lines];
  return [
    ...lines.slice(0, cut.after),
    `… ${cut.lines} more line${cut.lines === 1 ? '' : 's'} left out …`,
    ...lines.slice(cut.after),
  ];
}

/** A transcript as plain text, for the failure messages `npm test` prints. */
export function transcriptText(transcript: Transcript): string {
  const block = (label: 'stdout' | 'stderr') => {
    const lines = linesWithCut(transcript[label], transcript.cut?.[label]);
    return lines.length === 0
      ? `  (${label}: nothing)`
      : [`  ${label}:`, ...lines.map((line) => `    ${line}`)].join('\n');
  };
  return [
    `--- ${transcript.command} (${transcript.status})`,
    block('stdout'),
    block('stderr'),
  ].join('\n');
}

/**
 * A transcript made small enough to travel in a reporter event: at most `head`
 * lines from the start and `tail` from the end of each stream.
 */
export function shortenTranscript(transcript: Transcript, head = 200, tail = 100): Transcript {
  const shorten = (label: 'stdout' | 'stderr') => {
    const lines = transcript[label];
    const before = transcript.cut?.[label];
    // An earlier cut must fall inside the part removed now, so one cut still says it all.
    const fits =
      before === undefined || (before.after > head && before.after <= lines.length - tail);
    if (lines.length <= head + tail || !fits) return { lines: [...lines], cut: before };
    const removed = lines.length - head - tail;
    const cut: LinesCut = { after: head, lines: removed + (before?.lines ?? 0) };
    return { lines: [...lines.slice(0, head), ...lines.slice(-tail)], cut };
  };
  const stdout = shorten('stdout');
  const stderr = shorten('stderr');
  const cut = {
    ...(stdout.cut && { stdout: stdout.cut }),
    ...(stderr.cut && { stderr: stderr.cut }),
  };
  return {
    command: transcript.command,
    status: transcript.status,
    stdout: stdout.lines,
    stderr: stderr.lines,
    ...(Object.keys(cut).length > 0 && { cut }),
  };
}
