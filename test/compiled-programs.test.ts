// The harness's compiled programs (test/compiled-programs.ts): an edit to a
// program, or to a module it imports, is compiled again; an unchanged program is
// not; a program that does not compile gets no compiled file.

import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { compiledProgram } from './compiled-programs.ts';

describe('the compiled programs', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'workbook-compiled-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const program = path.join(folder, 'program.ts');
  const helper = path.join(folder, 'helper.ts');
  /** Writes a file and moves its mtime on, as an edit a moment later would. */
  const edit = (file: string, text: string, secondsLater: number) => {
    writeFileSync(file, text);
    const when = new Date(Date.now() + secondsLater * 1000);
    utimesSync(file, when, when);
  };

  test('are compiled again after an edit to the program or a module it imports, and only then', () => {
    edit(helper, "export const greeting: string = 'hello';\n", 0);
    edit(program, "import { greeting } from './helper.ts';\nconsole.log(greeting);\n", 0);
    const first = compiledProgram(program);
    expect(first).toBeDefined();
    expect(readFileSync(first ?? '', 'utf8')).toContain('"hello"');
    expect(compiledProgram(program), 'compiled again although nothing changed').toBe(first);

    edit(helper, "export const greeting: string = 'howdy';\n", 5);
    const second = compiledProgram(program);
    expect(second, 'an edit to the imported module was not compiled').not.toBe(first);
    expect(readFileSync(second ?? '', 'utf8')).toContain('"howdy"');

    edit(program, "import { greeting } from './helper.ts';\nconsole.error(greeting);\n", 10);
    const third = compiledProgram(program);
    expect(readFileSync(third ?? '', 'utf8'), 'an edit to the program was not compiled').toContain(
      'console.error',
    );
  });

  test('a program that does not compile has no compiled file (the harness runs it under tsx)', () => {
    const broken = path.join(folder, 'broken.ts');
    edit(broken, 'const x = ;\n', 0);
    expect(compiledProgram(broken)).toBeUndefined();
  });
});
