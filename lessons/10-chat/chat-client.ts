// Lesson 10: a chat client that listens to the keyboard and the socket at once.
// The seed's client waits on both with select(); here nothing waits: readline
// calls us with each line typed, the socket with each chunk that arrives.
// Run: npx tsx lessons/10-chat/chat-client.ts <host> <port> <name>

import net from 'node:net';
import readline from 'node:readline';
import { once } from 'node:events';
import { parseArgsOrExit, usageLine } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { escapeText } from '../../shared/bytes.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';

const spec = {
  program: 'chat-client.ts',
  summary:
    'Joins the chat: sends each line you type, and shows what the others say as it comes.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the chat server, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the server port, e.g. 65432' },
    {
      name: 'name',
      kind: 'text',
      help: "your name in the chat: 1 to 24 letters, digits, '_', '.' or '-'",
    },
  ],
} as const;
const { host, port, name } = parseArgsOrExit(spec);
// The server checks the name too; checking here turns a typo into a usage
// message, and keeps a newline in the name from sending a second line.
if (!/^[\p{L}\p{N}_.-]{1,24}$/u.test(name)) {
  process.stderr.write(
    `${usageLine(spec)}\n${spec.program}: name must be 1 to 24 letters, digits, '_', '.' or '-', got "${escapeText(name)}"\n`,
  );
  process.exit(1);
}

/** How long to wait, after leaving, for the server to close its side. */
const LEAVE_TIMEOUT_MS = 5_000;
/** A line from the server longer than this is shown in pieces rather than buffered without end. */
const MAX_SHOWN_LINE = 64 * 1024;

const server = formatAddress(host, port);
const socket = net.createConnection({ host, port });
try {
  await once(socket, 'connect');
} catch (error) {
  exitWithSocketError(error, { address: server });
}
socket.setNoDelay(true);
// The first line is our name: that is how the server knows who we are.
socket.write(`${name}\n`);
console.log(`Connected to ${server} as ${name}`);

// A person at a terminal gets a prompt and line editing; a pipe or a test
// gets plain lines. The keyboard is one more event source for the loop.
const interactive = process.stdin.isTTY && process.stdout.isTTY;
/** True once we have left (or the server closed): no more prompts, no more input. */
let leaving = false;
const keyboard = readline.createInterface({
  input: process.stdin,
  output: interactive ? process.stdout : undefined,
  terminal: interactive,
  prompt: '> ',
});

/** Prints one line without mangling what the user is typing: clear it, print, redraw it. */
function show(text: string): void {
  if (!interactive) {
    console.log(text);
    return;
  }
  readline.clearLine(process.stdout, 0);
  readline.cursorTo(process.stdout, 0);
  process.stdout.write(`${text}\n`);
  // Redraw the prompt and the half-typed line, cursor where it was.
  if (!leaving) keyboard.prompt(true);
}

// Decode as UTF-8 across chunks: a character split between two reads stays whole.
socket.setEncoding('utf8');
/** Text received after the last newline: the start of the next line. */
let incoming = '';
// exercise(show-incoming): Show every whole line the server sends, escaped, as soon
//   as it arrives; keep a partial line until the rest of it comes, but show a partial
//   line longer than MAX_SHOWN_LINE at once rather than keep it without end.
socket.on('data', (text: string) => {
  incoming += text;
  let newline;
  while ((newline = incoming.indexOf('\n')) !== -1) {
    // Everything here came from other people: escape it before a terminal sees it.
    show(escapeText(incoming.slice(0, newline)));
    incoming = incoming.slice(newline + 1);
  }
  if (incoming.length > MAX_SHOWN_LINE) {
    show(escapeText(incoming));
    incoming = '';
  }
});
// end exercise

/** Sends nothing more: FIN says so. We still read until the server closes its side. */
function leave(why?: string): void {
  if (leaving) return;
  leaving = true;
  if (why !== undefined) show(why);
  keyboard.close();
  // exercise(half-close): Half-close the connection, and keep printing what arrives
  //   until the server closes its side (but not for ever).
  socket.end();
  setTimeout(() => {
    console.error(
      `Error: ${server} did not close the connection within ${LEAVE_TIMEOUT_MS} ms`,
    );
    process.exit(1);
  }, LEAVE_TIMEOUT_MS).unref();
  // end exercise
}

keyboard.on('line', (line) => {
  // A terminal shows what was typed; in a pipe, print it so the transcript does.
  if (!interactive) console.log(`> ${escapeText(line)}`);
  socket.write(`${line}\n`);
  if (line.trim() === '/quit') leave();
  else if (interactive) keyboard.prompt();
});
// End of input: Ctrl-D at a terminal, or the end of a pipe.
keyboard.on('close', () => leave('End of input: leaving the chat'));
// In a terminal readline reads Ctrl-C as a key; kill and Ctrl-C in a pipe are signals.
keyboard.on('SIGINT', () => leave('Ctrl-C: leaving the chat'));
onShutdownSignal((signal) => leave(`${signal}: leaving the chat`));

// The server closed its side: after our /quit or end of input, or because it
// is going away. Either way the chat is over, and that is not an error.
socket.on('end', () => {
  if (incoming !== '') show(escapeText(incoming));
  leaving = true;
  keyboard.close();
  show(`Disconnected: ${server} closed the connection`);
  process.exit(0);
});
// A reset or another failure: one line on stderr, exit 1.
socket.on('error', (error) => exitWithSocketError(error, { address: server }));
if (interactive) keyboard.prompt();
