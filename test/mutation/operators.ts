// The mutation operators: each one models a mistake a learner makes in socket
// code (a dropped write, end() for destroy(), little-endian for big-endian, a
// character count where bytes belong...). `generateMutants` parses a program
// with the TypeScript compiler and returns every single-edit mutant of it, in
// source order, with a stable id; nothing here runs anything.

import { createHash } from 'node:crypto';
import ts from 'typescript';

export const OPERATORS = {
  'drop-write': 'a write() call left out',
  'drop-end': 'an end() call left out',
  'end-destroy': 'end() where destroy() belongs, or the other way round',
  'drop-drain-wait': "the wait for 'drain' left out",
  'off-by-one': 'a subarray/slice bound one too high or too low',
  boundary: '>= for >, < for <= (and back)',
  endianness: 'readUInt16BE for readUInt16LE and the like',
  'byte-length': 'Buffer.byteLength(text) counted as text.length (characters, not bytes)',
  'break-read-loop': 'a read loop that stops after its first chunk',
  'decode-per-chunk': 'each chunk turned into a string (and back) before it is joined',
  'drop-pause-resume': 'a pause() or resume() call left out',
  'negate-condition': 'a condition the wrong way round',
  'log-text': 'the wording of a logged line changed',
  'log-value': 'a value in a logged line left out',
  'drop-error-listener': "an 'error' listener left out",
  'allow-half-open': 'allowHalfOpen flipped',
  'drop-timer': 'a setTimeout/clearTimeout (or socket.setTimeout) call left out',
  'early-return': 'a function that returns before its last statement',
  'drop-await': 'an await left out, so the program goes on before the thing is done',
} as const;

export type OperatorName = keyof typeof OPERATORS;

/**
 * The operators whose mutants can fail to type-check: a negated condition or an
 * early return undoes narrowing, end()/destroy() may not exist on the receiver, a
 * decoded chunk may not be a Buffer. The others only remove statements or swap
 * like for like, so esbuild parsing them is check enough (a full type check of
 * each mutant is the slowest part of a run).
 */
export const MAY_NOT_TYPE_CHECK: ReadonlySet<OperatorName> = new Set<OperatorName>([
  'negate-condition',
  'early-return',
  'end-destroy',
  'decode-per-chunk',
]);

export const OPERATOR_NAMES = Object.keys(OPERATORS) as OperatorName[];

export interface Mutant {
  /** Stable while the mutated line and its neighbours of the same kind stay as they are. */
  id: string;
  /** The program file, relative to the lesson folder. */
  file: string;
  operator: OperatorName;
  /** 1-based line of the edit's start. */
  line: number;
  /** The one edit: text[start, end) becomes `replacement`. */
  start: number;
  end: number;
  replacement: string;
  /** The lines the edit touches, before and after (trimmed, joined by a newline). */
  before: string;
  after: string;
}

interface Edit {
  operator: OperatorName;
  start: number;
  end: number;
  replacement: string;
}

export function applyMutant(text: string, mutant: Pick<Mutant, 'start' | 'end' | 'replacement'>) {
  return text.slice(0, mutant.start) + mutant.replacement + text.slice(mutant.end);
}

/** Every mutant of one program's source, in source order, then operator order. */
export function generateMutants(text: string, file: string): Mutant[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: Edit[] = [];
  const visit = (node: ts.Node) => {
    for (const operator of OPERATOR_NAMES) edits.push(...RULES[operator](node, source));
    ts.forEachChild(node, visit);
  };
  visit(source);
  edits.sort(
    (a, b) =>
      a.start - b.start ||
      OPERATOR_NAMES.indexOf(a.operator) - OPERATOR_NAMES.indexOf(b.operator) ||
      a.end - b.end,
  );
  const seen = new Map<string, number>();
  const mutants: Mutant[] = [];
  for (const edit of edits) {
    if (text.slice(edit.start, edit.end) === edit.replacement) continue;
    const { before, after } = changedLines(text, edit);
    const key = `${file}\n${edit.operator}\n${before}\n${after}`;
    const count = seen.get(key) ?? 0;
    seen.set(key, count + 1);
    const hash = createHash('sha1').update(`${key}\n${count}`).digest('hex').slice(0, 8);
    mutants.push({
      id: `${file}:${edit.operator}:${hash}`,
      file,
      line: source.getLineAndCharacterOfPosition(edit.start).line + 1,
      ...edit,
      before,
      after,
    });
  }
  return mutants;
}

/** The whole lines an edit touches, before and after it, each trimmed. */
function changedLines(text: string, edit: Edit): { before: string; after: string } {
  const lineStart = text.lastIndexOf('\n', edit.start - 1) + 1;
  const next = text.indexOf('\n', edit.end);
  const lineEnd = next === -1 ? text.length : next;
  const tidy = (lines: string) =>
    lines
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .join('\n');
  return {
    before: tidy(text.slice(lineStart, lineEnd)),
    after: tidy(
      text.slice(lineStart, edit.start) + edit.replacement + text.slice(edit.end, lineEnd),
    ),
  };
}

type Rule = (node: ts.Node, source: ts.SourceFile) => Edit[];

/** The called name: `write` for `socket.write(...)`, `once` for `once(...)`. */
function calledName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  if (ts.isIdentifier(callee)) return callee.text;
  return undefined;
}

function isMethodCall(node: ts.Node, names: readonly string[]): node is ts.CallExpression {
  return (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    names.includes(node.expression.name.text)
  );
}

/** The call a statement consists of (`x.f();`, `await x.f();`, `void x.f();`), if it is one. */
function statementCall(statement: ts.Node): ts.CallExpression | undefined {
  if (!ts.isExpressionStatement(statement)) return undefined;
  let expression: ts.Expression = statement.expression;
  while (ts.isAwaitExpression(expression) || ts.isVoidExpression(expression))
    expression = expression.expression;
  return ts.isCallExpression(expression) ? expression : undefined;
}

/** Removes a statement; `{}` keeps an `if (...) statement;` an if with an empty body. */
function removeStatement(operator: OperatorName, statement: ts.Node, source: ts.SourceFile): Edit {
  const parent = statement.parent;
  const inList = ts.isBlock(parent) || ts.isSourceFile(parent) || ts.isCaseOrDefaultClause(parent);
  return {
    operator,
    start: statement.getStart(source),
    end: statement.end,
    replacement: inList ? '' : '{}',
  };
}

function replaceNode(
  operator: OperatorName,
  node: ts.Node,
  source: ts.SourceFile,
  replacement: string,
): Edit {
  return { operator, start: node.getStart(source), end: node.end, replacement };
}

/** Whether `text` can take a `+ 1` or a `.length` without parentheses. */
function isSimple(node: ts.Expression): boolean {
  return (
    ts.isIdentifier(node) ||
    ts.isPropertyAccessExpression(node) ||
    ts.isElementAccessExpression(node) ||
    ts.isCallExpression(node) ||
    ts.isLiteralExpression(node) ||
    ts.isParenthesizedExpression(node) ||
    node.kind === ts.SyntaxKind.ThisKeyword
  );
}

/** A statement call `x.name(...)` removed, or, in a condition (`if (!x.write(d))`), made `true`. */
function dropCall(operator: OperatorName, names: readonly string[]): Rule {
  return (node, source) => {
    if (!isMethodCall(node, names)) return [];
    let statement: ts.Node = node.parent;
    while (ts.isAwaitExpression(statement) || ts.isVoidExpression(statement))
      statement = statement.parent;
    if (ts.isExpressionStatement(statement) && statementCall(statement) === node)
      return [removeStatement(operator, statement, source)];
    // The return value is used (`if (!socket.write(data))`): the call becomes what it
    // usually returns, so the rest of the statement stays as it was.
    if (names.includes('write') && ts.isPrefixUnaryExpression(node.parent))
      return [replaceNode(operator, node, source, 'true')];
    return [];
  };
}

function isOnceDrain(node: ts.Node): boolean {
  if (!ts.isCallExpression(node)) return false;
  const [, event] = node.arguments;
  const name = calledName(node);
  return (
    (name === 'once' || name === 'waitFor') &&
    event !== undefined &&
    ts.isStringLiteralLike(event) &&
    event.text === 'drain'
  );
}

/** The event name of `x.on('error', ...)`-style calls. */
function listenerEvent(node: ts.Node): string | undefined {
  if (!isMethodCall(node, ['on', 'once', 'addListener', 'prependListener'])) return undefined;
  const [event] = node.arguments;
  return event !== undefined && ts.isStringLiteralLike(event) ? event.text : undefined;
}

const LOG_CALLS = [
  'console.log',
  'console.error',
  'console.warn',
  'console.info',
  'process.stdout.write',
  'process.stderr.write',
];

/** The first argument of a logging call, when it is a literal or a template. */
function loggedTemplate(node: ts.Node, source: ts.SourceFile): ts.Expression | undefined {
  if (!ts.isCallExpression(node)) return undefined;
  if (!LOG_CALLS.includes(node.expression.getText(source))) return undefined;
  const [first] = node.arguments;
  if (first === undefined) return undefined;
  if (ts.isStringLiteralLike(first) || ts.isTemplateExpression(first)) return first;
  return undefined;
}

function returnsValue(body: ts.Block): boolean {
  let found = false;
  const visit = (node: ts.Node) => {
    if (found || ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression !== undefined) found = true;
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

const WORD = /[A-Za-z][A-Za-z']*/;
const ADDRESS_LIKE = /peer|addr|client|server|host|port/i;

const RULES: Record<OperatorName, Rule> = {
  'drop-write': dropCall('drop-write', ['write']),
  'drop-end': dropCall('drop-end', ['end']),

  'end-destroy': (node, source) => {
    if (!isMethodCall(node, ['end', 'destroy'])) return [];
    const access = node.expression as ts.PropertyAccessExpression;
    const other = access.name.text === 'end' ? 'destroy' : 'end';
    // The arguments go too: end(data) sends data, destroy(error) reports error.
    return [
      {
        operator: 'end-destroy',
        start: access.name.getStart(source),
        end: node.end,
        replacement: `${other}()`,
      },
    ];
  },

  'drop-drain-wait': (node, source) => {
    if (!ts.isAwaitExpression(node) || !isOnceDrain(node.expression)) return [];
    if (ts.isExpressionStatement(node.parent))
      return [removeStatement('drop-drain-wait', node.parent, source)];
    return [];
  },

  'off-by-one': (node, source) => {
    if (!isMethodCall(node, ['subarray', 'slice', 'substring'])) return [];
    return node.arguments.flatMap((argument, index): Edit[] => {
      const shifted = (delta: 1 | -1): Edit => {
        const value = literalNumber(argument);
        const text = argument.getText(source);
        const replacement =
          value !== undefined
            ? String(value + delta)
            : `${isSimple(argument) || ts.isBinaryExpression(argument) ? text : `(${text})`} ${delta > 0 ? '+' : '-'} 1`;
        return replaceNode('off-by-one', argument, source, replacement);
      };
      // A start of 0 one lower would count from the end: not a plausible slip.
      if (index === 0 && literalNumber(argument) === 0) return [shifted(1)];
      return [shifted(1), shifted(-1)];
    });
  },

  boundary: (node, source) => {
    if (!ts.isBinaryExpression(node)) return [];
    const swaps: Partial<Record<ts.SyntaxKind, string>> = {
      [ts.SyntaxKind.GreaterThanEqualsToken]: '>',
      [ts.SyntaxKind.GreaterThanToken]: '>=',
      [ts.SyntaxKind.LessThanToken]: '<=',
      [ts.SyntaxKind.LessThanEqualsToken]: '<',
    };
    const replacement = swaps[node.operatorToken.kind];
    return replacement === undefined
      ? []
      : [replaceNode('boundary', node.operatorToken, source, replacement)];
  },

  endianness: (node, source) => {
    if (!ts.isPropertyAccessExpression(node)) return [];
    const match = node.name.text.match(
      /^((?:read|write)(?:U?Int(?:16|32)|BigU?Int64|Float|Double))(BE|LE)$/,
    );
    if (!match) return [];
    const swapped = `${match[1]}${match[2] === 'BE' ? 'LE' : 'BE'}`;
    return [replaceNode('endianness', node.name, source, swapped)];
  },

  'byte-length': (node, source) => {
    if (!ts.isCallExpression(node) || node.expression.getText(source) !== 'Buffer.byteLength')
      return [];
    const [text] = node.arguments;
    if (text === undefined) return [];
    const shown = text.getText(source);
    return [
      replaceNode('byte-length', node, source, `${isSimple(text) ? shown : `(${shown})`}.length`),
    ];
  },

  'break-read-loop': (node, source) => {
    if (!ts.isForOfStatement(node) || node.awaitModifier === undefined) return [];
    const body = node.statement;
    if (ts.isBlock(body)) {
      const close = body.end - 1;
      return [{ operator: 'break-read-loop', start: close, end: close, replacement: ' break; ' }];
    }
    return [replaceNode('break-read-loop', body, source, `{ ${body.getText(source)} break; }`)];
  },

  'decode-per-chunk': (node, source) => {
    // The chunk variable of `for await (const chunk of socket)` or of a 'data' listener.
    let name: ts.Identifier | undefined;
    let body: ts.Node | undefined;
    if (ts.isForOfStatement(node) && node.awaitModifier !== undefined) {
      const list = node.initializer;
      const declaration = ts.isVariableDeclarationList(list) ? list.declarations[0] : undefined;
      if (declaration !== undefined && ts.isIdentifier(declaration.name)) name = declaration.name;
      body = node.statement;
    } else if (listenerEvent(node) === 'data') {
      const handler = (node as ts.CallExpression).arguments[1];
      if (
        handler !== undefined &&
        (ts.isArrowFunction(handler) || ts.isFunctionExpression(handler))
      ) {
        const parameter = handler.parameters[0];
        if (parameter !== undefined && ts.isIdentifier(parameter.name)) name = parameter.name;
        body = handler.body;
      }
    }
    if (name === undefined || body === undefined) return [];
    const chunk = name.text;
    let first: ts.Identifier | undefined;
    const visit = (child: ts.Node) => {
      if (first !== undefined) return;
      // A log line that shows the chunk is not where bytes become text by mistake.
      if (loggedTemplate(child, source) !== undefined) return;
      if (
        ts.isIdentifier(child) &&
        child.text === chunk &&
        !(ts.isPropertyAccessExpression(child.parent) && child.parent.name === child)
      )
        first = child;
      else ts.forEachChild(child, visit);
    };
    visit(body);
    if (first === undefined) return [];
    return [replaceNode('decode-per-chunk', first, source, `Buffer.from(${chunk}.toString())`)];
  },

  'drop-pause-resume': dropCall('drop-pause-resume', ['pause', 'resume']),

  'negate-condition': (node, source) => {
    let condition: ts.Expression | undefined;
    if (ts.isIfStatement(node) || ts.isWhileStatement(node) || ts.isDoStatement(node))
      condition = node.expression;
    else if (ts.isConditionalExpression(node)) condition = node.condition;
    if (condition === undefined) return [];
    if (
      ts.isPrefixUnaryExpression(condition) &&
      condition.operator === ts.SyntaxKind.ExclamationToken
    )
      return [
        replaceNode('negate-condition', condition, source, condition.operand.getText(source)),
      ];
    const text = condition.getText(source);
    return [
      replaceNode(
        'negate-condition',
        condition,
        source,
        `!${isSimple(condition) ? text : `(${text})`}`,
      ),
    ];
  },

  'log-text': (node, source) => {
    const template = loggedTemplate(node, source);
    if (template === undefined) return [];
    // The first word of the line's own text becomes another: a check that reads
    // the line for its meaning notices; one that only counts lines does not.
    const parts: ts.Node[] = ts.isTemplateExpression(template)
      ? [template.head, ...template.templateSpans.map((span) => span.literal)]
      : [template];
    for (const part of parts) {
      const text = part.getText(source);
      const match = WORD.exec(text);
      if (match === null) continue;
      const start = part.getStart(source) + match.index;
      return [
        { operator: 'log-text', start, end: start + match[0].length, replacement: 'Mutated' },
      ];
    }
    return [];
  },

  'log-value': (node, source) => {
    const template = loggedTemplate(node, source);
    if (template === undefined || !ts.isTemplateExpression(template)) return [];
    // One per line, to keep runs short: the address if the line shows one (logging the
    // wrong peer is the classic slip), else the first value.
    const spans = template.templateSpans;
    const span =
      spans.find((candidate) => ADDRESS_LIKE.test(candidate.expression.getText(source))) ??
      spans[0];
    return span === undefined ? [] : [replaceNode('log-value', span.expression, source, "'?'")];
  },

  'drop-error-listener': (node, source) => {
    if (listenerEvent(node) !== 'error') return [];
    const statement = node.parent;
    return ts.isExpressionStatement(statement)
      ? [removeStatement('drop-error-listener', statement, source)]
      : [];
  },

  'allow-half-open': (node, source) => {
    if (
      !ts.isPropertyAssignment(node) ||
      !ts.isIdentifier(node.name) ||
      node.name.text !== 'allowHalfOpen'
    )
      return [];
    const value = node.initializer;
    if (value.kind === ts.SyntaxKind.TrueKeyword)
      return [replaceNode('allow-half-open', value, source, 'false')];
    if (value.kind === ts.SyntaxKind.FalseKeyword)
      return [replaceNode('allow-half-open', value, source, 'true')];
    return [];
  },

  'drop-timer': (node, source) => {
    const call = statementCall(node);
    if (call === undefined) return [];
    const name = calledName(call);
    const timer =
      (ts.isIdentifier(call.expression) &&
        ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].includes(name ?? '')) ||
      (ts.isPropertyAccessExpression(call.expression) &&
        ['setTimeout', 'refresh'].includes(name ?? ''));
    return timer ? [removeStatement('drop-timer', node, source)] : [];
  },

  'early-return': (node, source) => {
    if (!(
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node) ||
      ts.isMethodDeclaration(node)
    ))
      return [];
    const body = node.body;
    if (body === undefined || !ts.isBlock(body) || body.statements.length < 2) return [];
    if (returnsValue(body) || node.asteriskToken !== undefined) return [];
    const last = body.statements[body.statements.length - 1];
    if (last === undefined || ts.isReturnStatement(last)) return [];
    const at = last.getStart(source);
    return [{ operator: 'early-return', start: at, end: at, replacement: 'return; ' }];
  },

  'drop-await': (node, source) => {
    if (!ts.isAwaitExpression(node) || !ts.isExpressionStatement(node.parent)) return [];
    // An ignored `once(x, 'drain')` is drop-drain-wait's business.
    if (isOnceDrain(node.expression)) return [];
    return [replaceNode('drop-await', node, source, node.expression.getText(source))];
  },
};

function literalNumber(node: ts.Expression): number | undefined {
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (
    ts.isPrefixUnaryExpression(node) &&
    node.operator === ts.SyntaxKind.MinusToken &&
    ts.isNumericLiteral(node.operand)
  )
    return -Number(node.operand.text);
  return undefined;
}
