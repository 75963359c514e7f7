// Small figures helpers shared by the load generators and the bench runner.

/** The value below which a fraction `q` of the sorted samples fall (q = 0.5 is the median). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Peak resident memory of a process in MiB, from /proc (Linux only; undefined elsewhere). */
export async function peakMemoryMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1]);
    return Number.isFinite(kib) ? kib / 1024 : undefined;
  } catch {
    return undefined;
  }
}
