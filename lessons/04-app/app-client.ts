// Lesson 04: the application client, like the tutorial's app-client.py. It sends
// one request (a search as JSON, any other action as binary), prints its bytes,
// then prints the response; it exits 0 on a response and 1 on any failure.
// Run: npx tsx lessons/04-app/app-client.ts <host> <port> <action> <value>

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../03-framing/frame.ts';
import { ClientMessage } from './client-message.ts';
import { binaryMessage, jsonMessage } from './message.ts';

const { host, port, action, value } = parseArgsOrExit({
  program: 'app-client.ts',
  positionals: [
    { name: 'host', kind: 'host' },
    { name: 'port', kind: 'port' },
    { name: 'action', kind: 'text' },
    { name: 'value', kind: 'text' },
  ],
});

// A server that accepts and then never answers should not leave us waiting forever.
const RESPONSE_TIMEOUT_SECONDS = 30;

/** The tutorial's create_request() and queue_request(): the whole message, ready to send. */
function createRequest(action: string, value: string): Buffer {
  if (action === 'search') return jsonMessage({ action, value });
  return binaryMessage(
    'binary/custom-client-binary-type',
    Buffer.from(action + value, 'utf8'),
  );
}

const server = formatAddress(host, port);
console.log(`Starting connection to ${server}`);
const socket = net.createConnection({ host, port });
try {
  await once(socket, 'connect');
} catch (error) {
  exitWithSocketError(error, { address: server });
}

// From here the event loop drives the Message: it sends the request, reads
// the response as it arrives, and closes.
const message = new ClientMessage(socket, server, createRequest(action, value), {
  maxContentLength: DEFAULT_MAX_CONTENT_LENGTH,
  idleTimeoutSeconds: RESPONSE_TIMEOUT_SECONDS,
});
message.write();
