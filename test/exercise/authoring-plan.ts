// The authoring check's plan: which copies of which lessons its vitest child
// runs, shared by test/exercise/authoring.ts (which writes it) and
// test/exercise/authoring.config.ts (which turns it into vitest projects).

export const PLAN_ENV = 'WORKBOOK_AUTHORING_PLAN';

/** One run of a lesson spec against one copy of the lesson. */
export interface AuthoringCase {
  /** The vitest project name, unique in the run. */
  project: string;
  lessonId: string;
  /** The spec, relative to the repository root. */
  spec: string;
  /** The copy the spec checks. */
  dir: string;
  /** Run only the check with this exact title; otherwise stop at the first failure. */
  onlyTest?: string;
}
