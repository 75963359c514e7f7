// The order of `npm test`'s files: the ones that check every lesson's programs
// first, then vitest's own order (the longest first, by the timings of earlier
// runs, or the largest file first when there are none, as in a fresh clone).
// Those few files are small but each takes as long as a large spec; started
// last, one of them ran alone at the end while the other workers sat idle.

import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const EVERY_LESSON = ['errors.test.ts', 'hostile.test.ts', 'load.test.ts'];

export default class EveryLessonFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = EVERY_LESSON.indexOf(path.basename(file.moduleId));
      return at === -1 ? EVERY_LESSON.length : at;
    };
    // Array.prototype.sort is stable: the rest keeps vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
