// Stopping a server from the keyboard (Ctrl-C sends SIGINT) or from another
// program (`kill`, a service manager, the test harness: SIGTERM). Without a
// handler Node dies at once on either signal: exit status 130 or 143, no
// message, and any answer still being written is cut off. Every server treats
// the two signals the same way, so it stops cleanly however it is asked to.

/** How long a stopping server lets answers already being written finish, in ms. */
export const SHUTDOWN_GRACE_MS = 2_000;

/**
 * Calls `stop` once, on the first SIGINT or SIGTERM, with the signal's name.
 * A second signal while `stop` is still running exits at once with status 1:
 * the way out when a shutdown hangs.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`Second ${signal}: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    stop(signal);
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
