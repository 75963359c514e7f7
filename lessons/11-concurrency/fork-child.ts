// Lesson 11: what each child process of fork-server.ts runs. Its parent accepts
// the connections and sends each socket here over the IPC channel; from then on
// the connection is this process's alone, served as loop-server.ts serves it:
// a work request blocks this child's clients, and no one else's.

import net from 'node:net';
import { peerAddress } from '../../shared/address.ts';
import { plural } from '../../shared/bytes.ts';
import { Connection, stopServing, workLabel, type Log } from './connection.ts';
import { work } from './service.ts';

/** What the parent sends: a socket to serve (it comes with the message), or the order to stop. */
export type ParentMessage = { kind: 'connection' } | { kind: 'stop' };
/** What a child sends: it is ready for sockets. */
export type ChildMessage = { kind: 'ready' };

const send = process.send?.bind(process);
if (send === undefined) {
  process.stderr.write('fork-child.ts is started by fork-server.ts, not on its own\n');
  process.exit(1);
}
const log: Log = (line) => console.log(`[child ${process.argv[2] ?? '?'}] ${line}`);

/** As in loop-server.ts: the work runs here, and blocks this child's clients only. */
function runWork(argument: string, peer: string): string {
  const label = workLabel(argument, peer);
  log(`${label}: started`);
  const started = performance.now();
  const answer = work(argument);
  log(`${label}: done in ${Math.round(performance.now() - started)} ms`);
  return answer;
}

const open = new Set<Connection>();
let stopping = false;

function stop(reason: string): void {
  if (stopping) return;
  stopping = true;
  log(`${reason}: closing ${plural(open.size, 'open connection')}`);
  void stopServing(undefined, open, log).then(() => process.exit(0));
}

process.on('message', (message: ParentMessage, socket: unknown) => {
  // exercise(serve-handed-socket): For a 'connection' message, serve the socket that came
  //   with it as loop-server.ts serves a connection it accepted; stop on 'stop'.
  if (message.kind === 'connection' && socket instanceof net.Socket) {
    const peer = peerAddress(socket);
    log(`Serving ${peer}`);
    const connection = new Connection(socket, peer, runWork, log);
    open.add(connection);
    void connection.closed.then(() => open.delete(connection));
  } else if (message.kind === 'stop') {
    stop('Stopping');
  }
  // end exercise
});
// The parent is gone (killed, or crashed): no one will send 'stop' any more.
process.on('disconnect', () => stop('Parent gone'));
// Ctrl-C reaches this process too; the parent decides when it stops.
process.on('SIGINT', () => {});
send({ kind: 'ready' } satisfies ChildMessage);
