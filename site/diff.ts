// A unified diff, the format `diff -u` and git print, for the site's "what
// changed since the previous lesson" sections: the `diff` package's
// createTwoFilesPatch (Myers' algorithm, linear memory), which also marks a
// file that ends without a newline, as `diff -u` does.

import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

const CONTEXT_LINES = 3;

/**
 * The unified diff of two texts with file labels, or '' when they are equal.
 * Hunk headers count lines from 1, as `diff -u` does.
 */
export function unifiedDiff(
  oldText: string,
  newText: string,
  oldLabel: string,
  newLabel: string,
): string {
  if (oldText === newText) return '';
  return createTwoFilesPatch(oldLabel, newLabel, oldText, newText, undefined, undefined, {
    context: CONTEXT_LINES,
    headerOptions: FILE_HEADERS_ONLY,
  });
}
