// A unified line diff, the format `diff -u` and git print, for the site's
// "what changed since the previous lesson" sections. Lines are matched by a
// longest common subsequence, which is plenty for files of a few hundred lines.

const CONTEXT_LINES = 3;

type Edit = { kind: ' ' | '-' | '+'; line: string; oldNo: number; newNo: number };

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The edit script from `a` to `b`: kept, removed and added lines in order. */
function editScript(a: string[], b: string[]): Edit[] {
  // lengths[i][j] is the LCS length of a[i..] and b[j..].
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i]![j] =
        a[i] === b[j]
          ? lengths[i + 1]![j + 1]! + 1
          : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      edits.push({ kind: ' ', line: a[i]!, oldNo: i++, newNo: j++ });
    } else if (i < a.length && (j === b.length || lengths[i + 1]![j]! >= lengths[i]![j + 1]!)) {
      // Removals first, as diff prints them.
      edits.push({ kind: '-', line: a[i]!, oldNo: i++, newNo: j });
    } else {
      edits.push({ kind: '+', line: b[j]!, oldNo: i, newNo: j++ });
    }
  }
  return edits;
}

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
  const edits = editScript(splitLines(oldText), splitLines(newText));
  const changed = edits.flatMap((edit, index) => (edit.kind === ' ' ? [] : [index]));
  if (changed.length === 0) return '';

  // Group changes whose context would touch into one hunk.
  const hunks: Array<[number, number]> = [];
  for (const index of changed) {
    const start = Math.max(0, index - CONTEXT_LINES);
    const end = Math.min(edits.length, index + CONTEXT_LINES + 1);
    const last = hunks.at(-1);
    if (last !== undefined && start <= last[1]) last[1] = end;
    else hunks.push([start, end]);
  }

  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  for (const [start, end] of hunks) {
    const slice = edits.slice(start, end);
    const oldCount = slice.filter((edit) => edit.kind !== '+').length;
    const newCount = slice.filter((edit) => edit.kind !== '-').length;
    const first = slice[0]!;
    const oldStart = oldCount === 0 ? first.oldNo : first.oldNo + 1;
    const newStart = newCount === 0 ? first.newNo : first.newNo + 1;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`);
    for (const edit of slice) out.push(edit.kind + edit.line);
  }
  return out.join('\n') + '\n';
}
