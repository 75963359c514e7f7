// `npm start`: the lesson list and how to run the first lesson.
// (The lesson site will be served from here once it exists.)

import { lessons } from '../lessons/manifest.ts';

const lines = ['Sockets Workbook: TCP sockets on Node.js, one runnable lesson at a time.', '', 'Lessons:'];
for (const lesson of lessons) {
  lines.push(`  ${lesson.id}  ${lesson.title}  (lessons/${lesson.folder}/README.md)`);
}
const first = lessons[0]!;
const server = first.programs.find((program) => program.role === 'server')!;
const client = first.programs.find((program) => program.role === 'client')!;
lines.push(
  '',
  `Start with lesson ${first.id}: read lessons/${first.folder}/README.md, then in two terminals run`,
  `  terminal 1:  npx tsx lessons/${first.folder}/${server.file} ${server.args.join(' ')}`,
  `  terminal 2:  npx tsx lessons/${first.folder}/${client.file} ${client.args.join(' ')}`,
  '',
  'Check every lesson with: npm test',
);
console.log(lines.join('\n'));
