// What the mutation run (run.ts) and its vitest child (mutation-setup.ts) agree on.

/** The failure a mutant's next check gets once its checks have used up its time box. */
export const TIME_BOX_MESSAGE = 'mutation time box exceeded';

/** The environment variable carrying one mutant's time box, in milliseconds. */
export const BUDGET_ENV = 'WORKBOOK_MUTANT_BUDGET_MS';
