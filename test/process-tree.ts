// Finding and killing every process a program started (Linux, through /proc;
// elsewhere only the process group is reached). The harness starts each program
// as the leader of its own process group, so one kill reaches the program and
// the children that stayed in its group. A child started with `detached: true`
// leaves the group: it is found by walking the program's descendants while they
// are still its children, or afterwards by the marker in its environment
// (WORKBOOK_PROGRAM, which children inherit).

import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable the harness gives each program, and that its children inherit. */
export const PROGRAM_MARKER = 'WORKBOOK_PROGRAM';

/** A process as found in /proc: its pid and start time, so a reused pid is not mistaken for it. */
export interface ProcessRef {
  pid: number;
  startTime: string | undefined;
}

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is 3rd, starttime 22nd.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const task of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (text !== '') children.push(...text.split(' ').map(Number));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return children;
}

/** Every living descendant of `pid` (children, their children, ...), found through /proc. */
export function descendantsOf(pid: number): ProcessRef[] {
  const found: ProcessRef[] = [];
  const queue = [pid];
  const seen = new Set(queue);
  while (queue.length > 0) {
    for (const child of childrenOf(queue.shift() ?? 0)) {
      if (seen.has(child)) continue;
      seen.add(child);
      queue.push(child);
      found.push({ pid: child, startTime: startTimeOf(child) });
    }
  }
  return found;
}

/**
 * Processes whose environment has `name=value...` (value as a prefix): what is left
 * of the programs that carried that marker, wherever they ended up.
 */
export function processesMarked(name: string, valuePrefix: string): number[] {
  const needle = `\0${name}=${valuePrefix}`;
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = `\0${readFileSync(`/proc/${entry}/environ`, 'latin1')}`;
      if (environ.includes(needle)) found.push(Number(entry));
    } catch {
      // Gone, or another user's process.
    }
  }
  return found;
}

/** Sends `signal` to a process group; false when no process is left in it. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to each process that is still the one found (same start time). */
export function signalProcesses(processes: readonly ProcessRef[], signal: NodeJS.Signals): void {
  for (const { pid, startTime } of processes) {
    if (startTime !== undefined && startTimeOf(pid) !== startTime) continue;
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** Kills (SIGKILL) every process carrying the marker `name=valuePrefix...`; returns how many. */
export function killMarked(name: string, valuePrefix: string): number {
  const pids = processesMarked(name, valuePrefix);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids.length;
}
