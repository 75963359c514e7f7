// The mutation tool's operators (test/mutation/operators.ts), on small programs:
// each makes the learner mistake it names, one edit per mutant, in a stable
// order with stable ids. Parsing only, nothing runs: well under a second. And
// the compile filter, on a real lesson program (a few seconds: it type-checks).

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { programPath } from './harness.ts';
import { compileChecker } from './mutation/compile.ts';
import {
  applyMutant,
  generateMutants,
  OPERATOR_NAMES,
  type OperatorName,
} from './mutation/operators.ts';

/** The mutated programs one operator makes of `source`, in order. */
function mutate(source: string, operator: OperatorName): string[] {
  return generateMutants(source, 'program.ts')
    .filter((mutant) => mutant.operator === operator)
    .map((mutant) => applyMutant(source, mutant));
}

describe('mutation operators', () => {
  test('drop-write removes a write statement, and turns a write inside a condition into true', () => {
    expect(mutate('socket.write(data);\nnext();\n', 'drop-write')).toEqual(['\nnext();\n']);
    expect(mutate("if (!socket.write(data)) await once(socket, 'drain');", 'drop-write')).toEqual([
      "if (!true) await once(socket, 'drain');",
    ]);
  });

  test('drop-end keeps an if with an empty body when end() was its whole body', () => {
    expect(mutate('if (done) socket.end();', 'drop-end')).toEqual(['if (done) {}']);
  });

  test('end-destroy swaps the two calls and drops their arguments', () => {
    expect(mutate('socket.end(MESSAGE);\nsocket.destroy(error);', 'end-destroy')).toEqual([
      'socket.destroy();\nsocket.destroy(error);',
      'socket.end(MESSAGE);\nsocket.end();',
    ]);
  });

  test("drop-drain-wait removes the await for 'drain' but keeps the write", () => {
    expect(
      mutate("if (!socket.write(data)) await once(socket, 'drain');", 'drop-drain-wait'),
    ).toEqual(['if (!socket.write(data)) {}']);
  });

  test('off-by-one moves each subarray bound by one, folding literals', () => {
    expect(mutate('all.subarray(0, length);', 'off-by-one')).toEqual([
      'all.subarray(1, length);',
      'all.subarray(0, length + 1);',
      'all.subarray(0, length - 1);',
    ]);
    expect(mutate('frame.slice(index, index + 1);', 'off-by-one')).toContain(
      'frame.slice(index, index + 1 - 1);',
    );
  });

  test('boundary swaps >= with > and < with <=', () => {
    expect(mutate('if (a >= b && c < d) go();', 'boundary')).toEqual([
      'if (a > b && c < d) go();',
      'if (a >= b && c <= d) go();',
    ]);
  });

  test('endianness swaps big- and little-endian reads and writes', () => {
    expect(mutate('prefix.writeUInt16BE(n); buf.readUInt32LE(0);', 'endianness')).toEqual([
      'prefix.writeUInt16LE(n); buf.readUInt32LE(0);',
      'prefix.writeUInt16BE(n); buf.readUInt32BE(0);',
    ]);
  });

  test('byte-length counts characters instead of bytes', () => {
    expect(mutate('const n = Buffer.byteLength(text);', 'byte-length')).toEqual([
      'const n = text.length;',
    ]);
    expect(mutate("const n = Buffer.byteLength(a + b, 'utf8');", 'byte-length')).toEqual([
      'const n = (a + b).length;',
    ]);
  });

  test('break-read-loop stops a for-await read loop after its first chunk', () => {
    expect(mutate('for await (const d of s) { push(d); }', 'break-read-loop')).toEqual([
      'for await (const d of s) { push(d);  break; }',
    ]);
    expect(mutate('for await (const d of s) push(d);', 'break-read-loop')).toEqual([
      'for await (const d of s) { push(d); break; }',
    ]);
    expect(mutate('for (const d of list) push(d);', 'break-read-loop')).toEqual([]);
  });

  test("decode-per-chunk decodes the chunk of a read loop or a 'data' listener, skipping log lines", () => {
    expect(
      mutate(
        'for await (const d of s) {\n  console.log(`got ${d.length}`);\n  out.push(d);\n}',
        'decode-per-chunk',
      ),
    ).toEqual([
      'for await (const d of s) {\n  console.log(`got ${d.length}`);\n  out.push(Buffer.from(d.toString()));\n}',
    ]);
    expect(mutate("s.on('data', (chunk) => this.read(chunk));", 'decode-per-chunk')).toEqual([
      "s.on('data', (chunk) => this.read(Buffer.from(chunk.toString())));",
    ]);
  });

  test('drop-pause-resume and drop-error-listener remove the statement', () => {
    expect(mutate('s.pause();\ns.resume();', 'drop-pause-resume')).toEqual([
      '\ns.resume();',
      's.pause();\n',
    ]);
    expect(mutate("s.on('error', onError);\ns.on('end', onEnd);", 'drop-error-listener')).toEqual([
      "\ns.on('end', onEnd);",
    ]);
  });

  test('negate-condition negates a condition, or takes the negation away', () => {
    expect(mutate('if (a === b) x();\nwhile (!done) y();', 'negate-condition')).toEqual([
      'if (!(a === b)) x();\nwhile (!done) y();',
      'if (a === b) x();\nwhile (done) y();',
    ]);
  });

  test('log-text rewords a logged line; log-value blanks its address, else its first value', () => {
    const source = 'console.log(`Received ${n} bytes from ${peer}`);';
    expect(mutate(source, 'log-text')).toEqual(['console.log(`Mutated ${n} bytes from ${peer}`);']);
    expect(mutate(source, 'log-value')).toEqual([
      "console.log(`Received ${n} bytes from ${'?'}`);",
    ]);
    expect(mutate("console.log('Server closed');", 'log-text')).toEqual([
      "console.log('Mutated closed');",
    ]);
    expect(mutate('socket.write(`Received ${n}`);', 'log-text')).toEqual([]);
  });

  test('allow-half-open flips the option; drop-timer removes timer calls', () => {
    expect(mutate('net.createServer({ allowHalfOpen: true });', 'allow-half-open')).toEqual([
      'net.createServer({ allowHalfOpen: false });',
    ]);
    expect(
      mutate(
        'clearTimeout(timer);\nsocket.setTimeout(5, f);\nconst t = setTimeout(f, 1);',
        'drop-timer',
      ),
    ).toEqual([
      '\nsocket.setTimeout(5, f);\nconst t = setTimeout(f, 1);',
      'clearTimeout(timer);\n\nconst t = setTimeout(f, 1);',
    ]);
  });

  test('early-return returns before the last statement of a function that returns no value', () => {
    expect(mutate('function f() {\n  a();\n  b();\n}', 'early-return')).toEqual([
      'function f() {\n  a();\n  return; b();\n}',
    ]);
    expect(mutate('function f() {\n  a();\n  return 1;\n}', 'early-return')).toEqual([]);
  });

  test("drop-await drops an await statement's await, leaving 'drain' to drop-drain-wait", () => {
    expect(mutate("await once(s, 'close');\nawait once(s, 'drain');", 'drop-await')).toEqual([
      "once(s, 'close');\nawait once(s, 'drain');",
    ]);
  });

  test('every operator is described, and ids are stable, unique and name file and operator', () => {
    const source = 'socket.write(a);\nsocket.write(a);\nif (x >= 1) socket.end();';
    const first = generateMutants(source, 'p.ts');
    const again = generateMutants(source, 'p.ts');
    expect(again.map((mutant) => mutant.id)).toEqual(first.map((mutant) => mutant.id));
    expect(new Set(first.map((mutant) => mutant.id)).size).toBe(first.length);
    for (const mutant of first) expect(mutant.id).toMatch(`p.ts:${mutant.operator}:`);
    expect(first.map((mutant) => [mutant.line, mutant.operator])).toEqual([
      [1, 'drop-write'],
      [2, 'drop-write'],
      [3, 'negate-condition'],
      [3, 'boundary'],
      [3, 'drop-end'],
      [3, 'end-destroy'],
    ]);
    expect(OPERATOR_NAMES.length).toBeGreaterThanOrEqual(15);
  });
});

describe('the compile filter', () => {
  test('checks a program as the ES module it is (import.meta is fine), and still finds a type error', () => {
    const file = programPath('11', 'fork-server.ts');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('import.meta');
    const checker = compileChecker([file]);
    expect(checker.problem(file, text)).toBeUndefined();
    expect(
      checker.problem(file, text.replace('import.meta', '(1 as unknown as string).meta')),
    ).toMatch(/^tsc: line \d+: TS2339 /);
  }, 60_000);
});
