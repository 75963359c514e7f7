// The one list of lessons. The tests, `npm start`, the site and the exercise
// mode all read it; test/curriculum.test.ts checks it against the folders on disk.
// Adding a lesson means adding its folder, its entry here and test/NN-slug.test.ts.

export interface ProgramEntry {
  /** File name inside the lesson folder. */
  file: string;
  /** Which terminal it runs in: servers in terminal 1, clients in terminal 2. */
  role: 'server' | 'client';
  /** What the program is for, in one line. */
  summary: string;
  /** The arguments the lesson text runs it with (the tutorial's defaults). */
  args: string[];
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
];

export function findLesson(id: string): LessonEntry | undefined {
  const wanted = id.padStart(2, '0');
  return lessons.find((lesson) => lesson.id === wanted || lesson.folder === id);
}
