// Runs in every test file: whatever a check started is stopped after it, pass or fail.
import { afterEach } from 'vitest';
import { stopAllPrograms } from './harness.ts';

afterEach(async () => {
  await stopAllPrograms();
});
