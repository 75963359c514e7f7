// The harness's compiled programs (test/compiled-programs.ts): an edit to a
// program, or to a module it imports, is compiled again; an unchanged program is
// not, unless it was saved a moment ago; a program that does not compile gets no
// compiled file.

import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildCount, compiledProgram } from './compiled-programs.ts';

describe('the compiled programs', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'workbook-compiled-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const program = path.join(folder, 'program.ts');
  const helper = path.join(folder, 'helper.ts');
  /**
   * Writes a file with its mtime `secondsAgo` in the past: each edit of a check
   * gets its own time, and none is so recent that the build would not be kept.
   */
  const edit = (file: string, text: string, secondsAgo: number) => {
    writeFileSync(file, text);
    const when = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(file, when, when);
  };

  test('are compiled again after an edit to the program or a module it imports, and only then', () => {
    edit(helper, "export const greeting: string = 'hello';\n", 60);
    edit(program, "import { greeting } from './helper.ts';\nconsole.log(greeting);\n", 60);
    const first = compiledProgram(program);
    expect(first).toBeDefined();
    expect(readFileSync(first ?? '', 'utf8')).toContain('"hello"');
    const builds = buildCount();
    expect(compiledProgram(program)).toBe(first);
    expect(buildCount(), 'compiled again although nothing changed').toBe(builds);

    edit(helper, "export const greeting: string = 'howdy';\n", 40);
    const second = compiledProgram(program);
    expect(second, 'an edit to the imported module was not compiled').not.toBe(first);
    expect(readFileSync(second ?? '', 'utf8')).toContain('"howdy"');

    edit(program, "import { greeting } from './helper.ts';\nconsole.error(greeting);\n", 20);
    const third = compiledProgram(program);
    expect(readFileSync(third ?? '', 'utf8'), 'an edit to the program was not compiled').toContain(
      'console.error',
    );
  });

  test('a program saved a moment ago is compiled for this start but not kept, in case esbuild read it mid-save', () => {
    const fresh = path.join(folder, 'fresh.ts');
    writeFileSync(fresh, "console.log('just saved');\n");
    const builds = buildCount();
    expect(compiledProgram(fresh)).toBeDefined();
    expect(compiledProgram(fresh)).toBeDefined();
    expect(buildCount(), 'a build of a file saved during it was kept').toBe(builds + 2);
  });

  test('a program that does not compile has no compiled file (the harness runs it under tsx)', () => {
    const broken = path.join(folder, 'broken.ts');
    edit(broken, 'const x = ;\n', 60);
    expect(compiledProgram(broken)).toBeUndefined();
  });
});
