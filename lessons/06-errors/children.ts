// Two scenarios need a second process: a server that has stopped accepting
// (connect timeout) and a process with a low limit on open files (EMFILE).
// provoke.ts starts itself again as that child, the way node:cluster starts
// its workers: the same program and Node flags, plus an environment variable
// naming the part to play, and an IPC channel to report back on.

import { spawn, type ChildProcess } from 'node:child_process';

/** Set in the child's environment to the name of the part it plays. */
export const CHILD_ROLE_VARIABLE = 'PROVOKE_CHILD_ROLE';

export type ChildRole = 'stuck-listener' | 'open-until-emfile';

export function childRole(): ChildRole | undefined {
  const role = process.env[CHILD_ROLE_VARIABLE];
  return role === 'stuck-listener' || role === 'open-until-emfile' ? role : undefined;
}

export interface Child {
  process: ChildProcess;
  /** Resolves once the child has exited and its pipes are closed: nothing of it is left. */
  closed: Promise<void>;
}

/**
 * Starts this program again as `role`. With `openFileLimit`, a POSIX shell
 * lowers the limit first (`ulimit -n` sets both the soft and the hard limit)
 * and then execs Node in its place, so the child keeps the same process id.
 * The child's stdout and stderr are ours, so its lines appear in our transcript.
 */
export function startChild(role: ChildRole, openFileLimit?: number): Child {
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot tell which script is running');
  // process.execArgv carries tsx's loader when run with `npx tsx`.
  const node = [process.execPath, ...process.execArgv, script];
  // Node raises its soft limit to the hard limit as it starts, so only a lower
  // hard limit holds: `ulimit -n` lowers both, `ulimit -Sn` alone would not do.
  // exercise(lower-the-limit): With openFileLimit, run `node` through a POSIX shell
  //   that lowers the limit on open files and then execs node in its place.
  const [command = process.execPath, ...args] =
    openFileLimit === undefined
      ? node
      : ['sh', '-c', `ulimit -n ${openFileLimit} && exec "$@"`, 'sh', ...node];
  // end exercise
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [CHILD_ROLE_VARIABLE]: role },
  });
  // 'close' follows 'exit' once the IPC channel is closed too; 'error' if it never started.
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    child.once('error', () => resolve());
  });
  return { process: child, closed };
}
