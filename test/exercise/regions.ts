// Exercise regions: the parts of a reference program a learner writes.
// A region is marked in the reference code, around whole statements:
//   // exercise(<kebab-name>): <one imperative sentence saying what to write>
//   //   <the sentence may go on, on comment lines indented by three spaces>
//   ...reference code...
//   // end exercise
// so lesson code stays within its line width; the task is the lines joined.
// The starter is the same file with each region replaced by a TODO comment and
// a line that throws, so an unfinished program fails loudly, naming the TODO.

import path from 'node:path';

export interface Region {
  name: string;
  /** The sentence after the colon, with its continuation lines joined: what the learner writes. */
  task: string;
  /** The marker line's indentation, reused for the TODO lines. */
  indent: string;
  /** 1-based line numbers of the two marker lines (the start marker's first line). */
  startLine: number;
  endLine: number;
  /** How many lines the start marker takes, its continuation lines included. */
  markerLines: number;
  /** The reference code between the markers, dedented by `indent`. */
  solution: string;
}

/** A marker problem, naming the file and line so an author can fix it. */
export class RegionError extends Error {
  override name = 'RegionError';
}

const START = /^(\s*)\/\/ exercise\(([a-z0-9]+(?:-[a-z0-9]+)*)\): (\S.*)$/;
const END = /^\s*\/\/ end exercise\s*$/;
/** A continuation of the task: `//` and three spaces, at the marker's indentation. */
const CONTINUATION = /^(\s*)\/\/ {3}(\S.*)$/;
/** How wide a starter's TODO lines may be (the width of lesson code). */
const TODO_WIDTH = 88;
/** A comment that starts like a marker: if START and END do not match it, it is a typo. */
const MARKER_LIKE = /^\s*\/\/\s*(end\s*)?exercise/;

function lines(text: string): string[] {
  return text.split('\n').map((line) => line.replace(/\r$/, ''));
}

function dedent(body: string[], indent: string): string {
  return body
    .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line.trimStart()))
    .join('\n');
}

/** Every region in `text`, in order; throws RegionError for unbalanced or malformed markers. */
export function findRegions(text: string, file: string): Region[] {
  const regions: Region[] = [];
  let open:
    { name: string; task: string; indent: string; line: number; markerLines: number } | undefined;
  lines(text).forEach((line, index) => {
    const lineNumber = index + 1;
    const where = `${file}:${lineNumber}`;
    const continuation = line.match(CONTINUATION);
    if (
      open &&
      continuation &&
      lineNumber === open.line + open.markerLines &&
      continuation[1] === open.indent
    ) {
      open.task = `${open.task} ${(continuation[2] ?? '').trim()}`;
      open.markerLines += 1;
      return;
    }
    const start = line.match(START);
    if (start) {
      if (open) {
        throw new RegionError(
          `${where}: exercise(${start[2]}) starts inside exercise(${open.name}) (line ${open.line}); add "// end exercise" before it`,
        );
      }
      if (regions.some((region) => region.name === start[2])) {
        throw new RegionError(
          `${where}: a second region named exercise(${start[2]}); give each region its own name`,
        );
      }
      open = {
        indent: start[1] ?? '',
        name: start[2] ?? '',
        task: (start[3] ?? '').trim(),
        line: lineNumber,
        markerLines: 1,
      };
      return;
    }
    if (END.test(line)) {
      if (!open)
        throw new RegionError(
          `${where}: "// end exercise" with no "// exercise(name): task" before it`,
        );
      if (lineNumber === open.line + open.markerLines)
        throw new RegionError(
          `${where}: exercise(${open.name}) is empty; put the reference code between its markers`,
        );
      regions.push({
        name: open.name,
        task: open.task,
        indent: open.indent,
        startLine: open.line,
        endLine: lineNumber,
        markerLines: open.markerLines,
        solution: '',
      });
      open = undefined;
      return;
    }
    if (MARKER_LIKE.test(line)) {
      throw new RegionError(
        `${where}: malformed exercise marker "${line.trim()}"; write "// exercise(kebab-name): What to write." or "// end exercise"`,
      );
    }
  });
  if (open)
    throw new RegionError(`${file}:${open.line}: exercise(${open.name}) has no "// end exercise"`);
  const all = lines(text);
  return regions.map((region) => ({
    ...region,
    solution: dedent(
      all.slice(region.startLine - 1 + region.markerLines, region.endLine - 1),
      region.indent,
    ),
  }));
}

/** A JavaScript single-quoted string literal. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Words wrapped into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(words: string[], width: number, firstPrefix: string, prefix: string): string[] {
  const out: string[] = [];
  let line = firstPrefix;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      out.push(line);
      line = prefix;
      empty = true;
    }
    line = empty ? `${line}${word}` : `${line} ${word}`;
    empty = false;
  }
  out.push(line);
  return out;
}

/** The lines that stand in for a region in the starter: its TODO, wrapped, and a line that throws. */
export function todoLines(region: Region, file: string): string[] {
  return [
    ...wrap(
      region.task.split(/\s+/).filter((word) => word !== ''),
      TODO_WIDTH,
      `${region.indent}// TODO(${region.name}): `,
      `${region.indent}//   `,
    ),
    `${region.indent}throw new Error(${quote(`TODO(${region.name}): write this part of ${path.basename(file)}`)});`,
  ];
}

/** The starter version of `text`: every region replaced by its TODO lines. */
export function makeStarter(text: string, file: string): string {
  const regions = findRegions(text, file);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const source = lines(text);
  const out: string[] = [];
  let next = 0;
  for (const region of regions) {
    out.push(...source.slice(next, region.startLine - 1), ...todoLines(region, file));
    next = region.endLine;
  }
  out.push(...source.slice(next));
  return out.join(eol);
}

const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.\.?\/[^'"]+)\2/g;

/**
 * Rewrites the relative imports of a lesson file copied from `fromFile` to
 * `toFile`: files inside `lessonFolder` are copied alongside, so their imports
 * stay; anything else (shared/, another lesson) is reached from the copy's
 * new place, so a copy of lesson 04 uses the reference lesson 03 codec.
 */
export function rewriteImports(
  text: string,
  fromFile: string,
  toFile: string,
  lessonFolder: string,
): string {
  return text.replace(RELATIVE_IMPORT, (whole, lead: string, q: string, specifier: string) => {
    const target = path.resolve(path.dirname(fromFile), specifier);
    const inside = path.relative(lessonFolder, target);
    if (!inside.startsWith('..') && !path.isAbsolute(inside)) return whole;
    let moved = path.relative(path.dirname(toFile), target).split(path.sep).join('/');
    if (!moved.startsWith('.')) moved = `./${moved}`;
    return `${lead}${q}${moved}${q}`;
  });
}
