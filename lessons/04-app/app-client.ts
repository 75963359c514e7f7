// Lesson 04: the application client, like the tutorial's app-client.py. It sends
// one request (a search as JSON, any other action as binary), prints its bytes,
// then prints the response; it exits 0 on a response and 1 on any failure.
// Run: npx tsx lessons/04-app/app-client.ts <host> <port> <action> <value> [--deadline SECONDS]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../03-framing/frame.ts';
import { ClientMessage } from './client-message.ts';
import { binaryMessage, jsonMessage } from './message.ts';

const { host, port, action, value, deadline } = parseArgsOrExit({
  program: 'app-client.ts',
  summary:
    'Sends one request to the lesson 04 server and prints the request, the response header and the result.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the server address, e.g. 127.0.0.1 or ::1' },
    { name: 'port', kind: 'port', help: 'the server port' },
    {
      name: 'action',
      kind: 'text',
      help: '"search" sends a JSON search; any other action is sent as binary',
    },
    { name: 'value', kind: 'text', help: 'what to search for, or the bytes to send' },
  ],
  options: {
    // The idle timer below restarts with every byte, so a server trickling its
    // answer one byte at a time would hold us forever; the deadline does not.
    deadline: {
      kind: 'seconds',
      valueName: 'SECONDS',
      default: '60',
      help: 'give up when the whole exchange has not finished this long after connecting',
    },
  },
});

// An idle timer: a server that accepts and then goes quiet should not leave us
// waiting forever. Every byte that arrives restarts it.
const IDLE_TIMEOUT_SECONDS = 30;

/** The tutorial's create_request() and queue_request(): the whole message, ready to send. */
function createRequest(action: string, value: string): Buffer {
  if (action === 'search') return jsonMessage({ action, value });
  return binaryMessage(
    'binary/custom-client-binary-type',
    Buffer.from(action + value, 'utf8'),
  );
}

// The server is our peer: the address every line about this connection names.
const peer = formatAddress(host, port);
console.log(`Starting connection to ${peer}`);
const socket = net.createConnection({ host, port });
try {
  await once(socket, 'connect');
} catch (error) {
  exitWithSocketError(error, { address: peer });
}

// From here the event loop drives the Message: it sends the request, reads
// the response as it arrives, and closes.
const message = new ClientMessage(socket, peer, createRequest(action, value), {
  maxContentLength: DEFAULT_MAX_CONTENT_LENGTH,
  idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS,
  deadlineSeconds: deadline,
});
message.write();
