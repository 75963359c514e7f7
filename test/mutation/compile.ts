// Whether a mutant still compiles: esbuild (what runs the programs) must parse
// it, and the TypeScript checker must find no error in the mutated file other
// than the "declared but never read" kind a removed call leaves behind. A
// mutant that does not compile is reported apart: it is a typo, not a mistake
// the checks should catch. One checker program per lesson is built once; each
// mutant re-checks only its own file, reusing the rest of the program.

import path from 'node:path';
import { transformSync } from 'esbuild';
import ts from 'typescript';
import { ROOT } from '../harness.ts';

/** Unused declarations, unreachable code, missing returns: a mutant that only causes these still runs. */
const HARMLESS = new Set([6133, 6138, 6192, 6196, 6198, 6199, 6205, 7027, 7028, 7030]);

function compilerOptions(): ts.CompilerOptions {
  const file = path.join(ROOT, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    file,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (parsed === undefined) throw new Error('cannot read tsconfig.json');
  return parsed.options;
}

export interface CompileChecker {
  /**
   * Why `text`, standing for `file` (absolute), does not compile; undefined when it does.
   * `typeCheck: false` asks esbuild only, for mutants that cannot change a type.
   */
  problem(file: string, text: string, typeCheck?: boolean): string | undefined;
}

/** A checker for the program files `files` (absolute paths of one lesson's .ts files). */
export function compileChecker(files: string[]): CompileChecker {
  const options = compilerOptions();
  const plain = ts.createCompilerHost(options);
  // Parsed once: the node types alone take longer to parse than a mutant to check.
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const host: ts.CompilerHost = {
    ...plain,
    getSourceFile: (name, version, onError, create) => {
      if (!parsed.has(name)) parsed.set(name, plain.getSourceFile(name, version, onError, create));
      return parsed.get(name);
    },
  };
  const base = ts.createProgram({ rootNames: files, options, host });
  return {
    problem(file, text, typeCheck = true) {
      try {
        transformSync(text, { loader: 'ts', format: 'esm', logLevel: 'silent' });
      } catch (error) {
        return `esbuild: ${(error as Error).message.split('\n').slice(0, 2).join(' ')}`;
      }
      if (!typeCheck) return undefined;
      const mutantHost: ts.CompilerHost = {
        ...host,
        // `version` carries the file's module format (ESM here, from package.json's
        // "type"): without it the mutant is checked as CommonJS, where import.meta is an error.
        getSourceFile: (name, version, onError, create) =>
          path.resolve(name) === file
            ? ts.createSourceFile(name, text, version, true)
            : host.getSourceFile(name, version, onError, create),
      };
      const program = ts.createProgram({
        rootNames: files,
        options,
        host: mutantHost,
        oldProgram: base,
      });
      const source = program.getSourceFile(file);
      if (source === undefined) return `tsc: ${file} is not part of the program`;
      const errors = [
        ...program.getSyntacticDiagnostics(source),
        ...program.getSemanticDiagnostics(source),
      ].filter((diagnostic) => !HARMLESS.has(diagnostic.code));
      const [first] = errors;
      if (first === undefined) return undefined;
      const line =
        first.start === undefined ? 0 : source.getLineAndCharacterOfPosition(first.start).line + 1;
      return `tsc: line ${line}: TS${first.code} ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}`;
    },
  };
}
