// Lesson 09: a client that sends several searches on one connection, either one
// at a time (each waits for the answer before the next is sent) or, with
// --pipeline, all in one write before reading any answer. Each request carries
// "keep-alive": true and a request id; each answer is printed with its id and
// round-trip time. Lesson 04's app-client.py counterpart, made persistent.
// Run: npx tsx lessons/09-persistent/persistent-client.ts <host> <port> <query...> [--pipeline]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { escapeText, plural } from '../../shared/bytes.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import { FrameError, MessageDecoder, type DecodedFrame } from '../03-framing/frame.ts';
import { connectionFields, jsonContent, searchRequest } from './protocol.ts';

const spec = {
  program: 'persistent-client.ts',
  summary: 'Sends several searches on one connection, one at a time or pipelined.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the server to connect to, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the server port, e.g. 65432' },
    {
      name: 'query...',
      kind: 'text',
      help: 'what to search for; give several to send several requests',
    },
  ],
  options: {
    pipeline: {
      kind: 'flag',
      help: 'send every request at once, before reading any answer',
    },
  },
} as const;
// The shared parser takes a fixed number of arguments: it checks the first
// query, and every positional after the port is a query to send.
const argv = process.argv.slice(2);
const { positionals } = parseArgs({
  args: argv,
  allowPositionals: true,
  strict: false,
});
const { host, port, pipeline } = parseArgsOrExit(spec, [
  ...positionals.slice(0, 3),
  ...argv.filter((arg) => arg.startsWith('-')),
]);
const queries = positionals.slice(2);

// A server that stops answering should not leave us waiting forever.
const ANSWER_TIMEOUT_SECONDS = 30;

const server = formatAddress(host, port);
console.log(`Starting connection to ${server}`);
const socket = net.createConnection({ host, port });
try {
  await once(socket, 'connect');
} catch (error) {
  exitWithSocketError(error, { address: server });
}
// Small requests go out at once instead of waiting to be merged (Nagle's algorithm).
socket.setNoDelay(true);

function fail(problem: string): never {
  console.error(`Error: ${problem}`);
  socket.destroy();
  process.exit(1);
}

socket.setTimeout(ANSWER_TIMEOUT_SECONDS * 1000, () =>
  fail(`no answer from ${server} for ${ANSWER_TIMEOUT_SECONDS} s`),
);
socket.on('error', (error) => fail(explainSocketError(error, { address: server })));

/** Request ids are 1, 2, 3...: the answer to request n must carry id n. */
const sentAt: number[] = [];
let answered = 0;
const decoder = new MessageDecoder();

function send(index: number): void {
  sentAt[index] = performance.now();
  socket.write(
    searchRequest(queries[index] ?? '', {
      'keep-alive': true,
      'request-id': index + 1,
    }),
  );
}

/** Checks that an answer is the next one due, and prints it. */
function showAnswer(message: DecodedFrame): void {
  const expected = answered + 1;
  const { 'request-id': id } = connectionFields(message.header);
  // Answers come in request order; an id that is not the next one means the
  // server mixed them up, and every answer after it would be misread.
  if (id !== expected)
    throw new FrameError(
      'bad-field',
      `expected the answer to request ${expected}, got id ${JSON.stringify(id)}`,
    );
  const { result } = jsonContent(message);
  if (typeof result !== 'string')
    throw new FrameError('bad-field', '"result" must be a string');
  const milliseconds = performance.now() - (sentAt[answered] ?? 0);
  console.log(`Answer ${id} (${milliseconds.toFixed(2)} ms): ${escapeText(result)}`);
  answered += 1;
}

// exercise(send-requests): Send the first request, or every request at once with
//   --pipeline; after each answer, send the next one unless pipelining.
if (pipeline) {
  console.log(`Sending ${plural(queries.length, 'request')} at once`);
  for (let index = 0; index < queries.length; index++) send(index);
} else {
  console.log(`Sending ${plural(queries.length, 'request')} one at a time`);
  send(0);
}
// end exercise

socket.on('data', (chunk: Buffer) => {
  try {
    for (const message of decoder.decode(chunk)) {
      showAnswer(message);
      if (answered === queries.length) {
        // All answered: close our side; the server closes its side in turn.
        console.log(`Closing connection to ${server}`);
        socket.end();
        return;
      }
      if (!pipeline) send(answered);
    }
  } catch (error) {
    fail(
      `malformed answer from ${server}: ${error instanceof Error ? escapeText(error.message) : String(error)}`,
    );
  }
});
socket.on('end', () => {
  if (answered < queries.length)
    fail(
      `${server} closed the connection after ${plural(answered, 'answer')} of ${queries.length}`,
    );
});
