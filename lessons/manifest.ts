// The one list of lessons. The tests, `npm start`, the site and the exercise
// mode all read it; test/curriculum.test.ts checks it against the folders on disk.
// Adding a lesson means adding its folder, its entry here and test/NN-slug.test.ts.

export interface ProgramEntry {
  /** File name inside the lesson folder. */
  file: string;
  /**
   * Which terminal it runs in: servers in terminal 1, clients in terminal 2.
   * A demo runs alone, not against the lesson's server, and starts whatever
   * peers it needs itself.
   */
  role: 'server' | 'client' | 'demo';
  /** What the program is for, in one line. */
  summary: string;
  /** The arguments the lesson text runs it with (the tutorial's defaults). */
  args: string[];
  /** What the site's captured run types into a client's stdin, if it reads any. */
  input?: string;
}

export interface LessonEntry {
  /** Two digits, the lesson's number: what `npm run check -- 01` takes. */
  id: string;
  /** Folder under lessons/, e.g. `01-echo`. */
  folder: string;
  title: string;
  /** One sentence: what the lesson teaches. */
  summary: string;
  programs: ProgramEntry[];
}

export const lessons: LessonEntry[] = [
  {
    id: '01',
    folder: '01-echo',
    title: 'The echo server and client',
    summary:
      'The socket calls of a TCP server and client mapped onto node:net, in blocking style with await; TCP as a byte stream.',
    programs: [
      {
        file: 'echo-server.ts',
        role: 'server',
        summary:
          'Accepts one client, echoes every byte back until the client closes, then exits.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'echo-client.ts',
        role: 'client',
        summary: 'Sends "Hello, world", half-closes, and prints what comes back.',
        args: ['127.0.0.1', '65432'],
      },
    ],
  },
  {
    id: '02',
    folder: '02-multiconn',
    title: 'Many connections at once',
    summary:
      "One process serving many clients: Node's event loop as the selector, per-connection state, and backpressure.",
    programs: [
      {
        file: 'multiconn-server.ts',
        role: 'server',
        summary:
          'Echoes for any number of clients at once, pausing a reader whose peer is slow to read.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'multiconn-client.ts',
        role: 'client',
        summary:
          'Opens several connections at once; each sends two messages and closes when both come back.',
        args: ['127.0.0.1', '65432', '2'],
      },
    ],
  },
  {
    id: '03',
    folder: '03-framing',
    title: 'Message framing over a byte stream',
    summary:
      'Message boundaries: a 2-byte big-endian length, a UTF-8 JSON header, then the content, decoded from chunks of any size.',
    programs: [
      {
        file: 'framed-receiver.ts',
        role: 'server',
        summary:
          'Decodes the messages it receives and prints each one, and on request each raw read.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'framed-sender.ts',
        role: 'client',
        summary:
          'Sends three framed messages, normally, one byte per write, or all in one write.',
        args: ['127.0.0.1', '65432'],
      },
    ],
  },
  {
    id: '04',
    folder: '04-app',
    title: 'The application client and server',
    summary:
      "The tutorial's application protocol with its Message classes: a search service, binary requests, and a hardened server.",
    programs: [
      {
        file: 'app-server.ts',
        role: 'server',
        summary:
          'Answers one request per connection: searches as JSON, anything else as binary.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'app-client.ts',
        role: 'client',
        summary: 'Sends one request, shows its bytes, and prints the response.',
        args: ['127.0.0.1', '65432', 'search', 'morpheus'],
      },
    ],
  },
  {
    id: '05',
    folder: '05-troubleshooting',
    title: 'Troubleshooting: what is on the wire, and who is not reading',
    summary:
      "A method for a stuck connection: is it listening, can I connect, what crosses the wire, who is not reading; the kernel's queues in ss and netstat.",
    programs: [
      {
        file: 'fill-server.ts',
        role: 'server',
        summary: 'Accepts connections and never reads from them.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'fill-client.ts',
        role: 'client',
        summary:
          'Writes blocks until write() returns false, then a few more, reporting where the bytes wait.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'probe.ts',
        role: 'client',
        summary:
          'Says whether a port is open, refused or silent, and how long the answer took.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'tap.ts',
        role: 'server',
        summary:
          'A logging TCP proxy: forwards connections to a server and prints every chunk both ways.',
        args: ['127.0.0.1', '65433', '127.0.0.1', '65432'],
      },
    ],
  },
  {
    id: '06',
    folder: '06-errors',
    title: 'The errors gallery',
    summary:
      'Every common socket error caused on purpose on this machine, what each side sees, and the table of errors.',
    programs: [
      {
        file: 'provoke.ts',
        role: 'demo',
        summary:
          'Causes the error it is given (ECONNREFUSED, EPIPE, ...) and prints both sides of it.',
        args: ['ECONNREFUSED'],
      },
    ],
  },
  {
    id: '07',
    folder: '07-addresses',
    title: 'Addresses, names and IPv6',
    summary:
      'Who can reach a server (loopback, all interfaces, dual stack) and which address a name becomes (the hosts file, DNS, happy eyeballs).',
    programs: [
      {
        file: 'where-server.ts',
        role: 'server',
        summary:
          'Listens where it is told, lists every address it is reachable on, and names the family of each client.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'where-client.ts',
        role: 'client',
        summary:
          'Resolves a name, tries its addresses in order, and says which one connected.',
        args: ['localhost', '65432'],
      },
      {
        file: 'lookup.ts',
        role: 'demo',
        summary:
          "Shows what a name becomes for net.connect(), next to DNS's own answer.",
        args: ['localhost', '--all'],
      },
    ],
  },
  {
    id: '08',
    folder: '08-closing',
    title: 'Closing a connection',
    summary:
      'How a TCP connection ends: half-close, abrupt close and reset, what the peer sees for each, TIME_WAIT, and dead peers.',
    programs: [
      {
        file: 'close-server.ts',
        role: 'server',
        summary:
          'Logs every event of every connection in order, and answers after the client half-closes.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'close-client.ts',
        role: 'client',
        summary:
          'Sends some bytes, then closes by end, destroy, reset, vanish or silent.',
        args: ['127.0.0.1', '65432', 'end'],
      },
    ],
  },
  {
    id: '09',
    folder: '09-persistent',
    title: 'Many requests per connection',
    summary:
      "Persistent connections and pipelining: lesson 04's protocol looped over one connection, with keep-alive, request ids and limits.",
    programs: [
      {
        file: 'persistent-server.ts',
        role: 'server',
        summary:
          'Answers searches in order, many per connection for clients that send "keep-alive": true.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'persistent-client.ts',
        role: 'client',
        summary:
          'Sends several searches on one connection, one at a time or pipelined.',
        args: ['127.0.0.1', '65432', 'morpheus', 'ring', '🐶', '--pipeline'],
      },
    ],
  },
  {
    id: '10',
    folder: '10-chat',
    title: 'A chat: the keyboard and the socket at once',
    summary:
      'An interactive line-based chat: newline framing with a cap, broadcast, a client that waits on the keyboard and the socket together, and the slow consumer.',
    programs: [
      {
        file: 'chat-server.ts',
        role: 'server',
        summary:
          "Relays every line to all other clients with the sender's name; announces joins and leaves; disconnects a client that does not read.",
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'chat-client.ts',
        role: 'client',
        summary:
          'Sends the lines you type and shows what the others say as it arrives, without mangling your half-typed line.',
        args: ['127.0.0.1', '65432', 'alice'],
        input: 'Hello, is anyone here?\n/who\n',
      },
    ],
  },
  {
    id: '11',
    folder: '11-concurrency',
    title: 'When one event loop is not enough',
    summary:
      "The lecture's threads, forking, asyncio and select in Node terms: what blocks the event loop, and worker threads, cluster and handed-off sockets, measured.",
    programs: [
      {
        file: 'loop-server.ts',
        role: 'server',
        summary:
          'Answers ping and work requests on the event loop alone: a work request holds up every client.',
        args: ['127.0.0.1', '65432'],
      },
      {
        file: 'worker-server.ts',
        role: 'server',
        summary:
          'Runs work requests in a fixed pool of worker threads, so pings are answered meanwhile.',
        args: ['127.0.0.1', '65432', '--workers', '2'],
      },
      {
        file: 'cluster-server.ts',
        role: 'server',
        summary:
          'Several processes share the port through node:cluster; a worker that dies is replaced.',
        args: ['127.0.0.1', '65432', '--workers', '2'],
      },
      {
        file: 'fork-server.ts',
        role: 'server',
        summary:
          'Accepts each connection and hands the socket to one of its child processes.',
        args: ['127.0.0.1', '65432', '--children', '2'],
      },
      {
        file: 'load-client.ts',
        role: 'client',
        summary:
          'Sends pings and work requests from several connections at once and times the pings.',
        args: ['127.0.0.1', '65432', '--clients', '4', '--requests', '10'],
      },
    ],
  },
];

export function findLesson(id: string): LessonEntry | undefined {
  const wanted = id.padStart(2, '0');
  return lessons.find((lesson) => lesson.id === wanted || lesson.folder === id);
}
