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
        summary: 'Accepts one client, echoes every byte back until the client closes, then exits.',
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
];

export function findLesson(id: string): LessonEntry | undefined {
  const wanted = id.padStart(2, '0');
  return lessons.find((lesson) => lesson.id === wanted || lesson.folder === id);
}
