// Lesson 11: what each worker thread of worker-server.ts runs. A thread has its
// own event loop and its own copy of every module it imports; it shares no
// variable with the main thread. Jobs come in and answers go out as messages,
// copied between the two (structured clone), never shared.

import { parentPort } from 'node:worker_threads';
import { work } from './service.ts';

const port = parentPort;
if (port === null) {
  process.stderr.write('work-thread.ts runs inside worker-server.ts, not on its own\n');
  process.exit(1);
}

port.on('message', (argument: string) => {
  // No try/catch, on purpose: when work() throws, the exception ends this
  // thread, and worker-server.ts fails that one job and starts a fresh thread.
  // A thread whose job died halfway may hold broken state; a new one does not.
  port.postMessage(work(argument));
});
