// Locating experiment problems in the text of a file: JSON syntax errors and schema issues (by JSON pointer) become
// offset ranges, so that the editor can underline exactly what the CLI reports. Imports neither vscode nor tfjs.
import { findNodeAtLocation, Node, parseTree, ParseError, printParseErrorCode } from 'jsonc-parser';
import { ConfigError, ConfigIssue, parseExperimentText, validateExperiment } from './config';
import { expandSweep } from './sweep';

export interface LocatedIssue extends ConfigIssue {
  offset: number;
  length: number;
}

function decodePointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** The range that best shows an issue: the key of an unknown or misplaced field, else the value, else its parent. */
function rangeFor(root: Node, issue: ConfigIssue): { offset: number; length: number } {
  const path = decodePointer(issue.pointer);
  const node = findNodeAtLocation(root, path);
  if (node) {
    const prop = node.parent?.type === 'property' ? node.parent : undefined;
    if (prop && /unknown field|is not an option|is not used by|is only used by|remove this field/.test(issue.message)) {
      const key = prop.children![0];
      return { offset: key.offset, length: key.length };
    }
    return { offset: node.offset, length: node.length };
  }
  // A missing field: point at the key of the closest existing ancestor (or the opening brace of the document).
  for (let n = path.length - 1; n >= 0; n--) {
    const parent = findNodeAtLocation(root, path.slice(0, n));
    if (!parent) continue;
    const prop = parent.parent?.type === 'property' ? parent.parent.children![0] : undefined;
    return prop ? { offset: prop.offset, length: prop.length } : { offset: parent.offset, length: 1 };
  }
  return { offset: root.offset, length: 1 };
}

/** Validate an experiment's text; returns every problem with its range (empty when the file is valid). */
export function locateExperimentIssues(text: string): LocatedIssue[] {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  if (errors.length > 0 || !root) {
    // One problem, worded as the CLI words it, at the first place the parser stumbled (later errors are echoes).
    const first = errors[0];
    let message = first ? `is not valid JSON: ${describeParseError(printParseErrorCode(first.error))} at line ${lineOf(text, first.offset)}.` : 'is not valid JSON.';
    try {
      parseExperimentText(text);
    } catch (err) {
      if (err instanceof ConfigError && err.issues[0]) message = err.issues[0].message;
    }
    return [{ pointer: '', message, offset: first?.offset ?? 0, length: Math.max(1, first?.length ?? 1) }];
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [{ pointer: '', message: 'is not valid JSON.', offset: 0, length: 1 }];
  }
  let issues = validateExperiment(doc);
  if (issues.length === 0 && typeof doc === 'object' && doc !== null && 'sweep' in doc) {
    // The sweep block's own rules and every run it expands into (a value that makes an invalid run).
    try {
      expandSweep(doc);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues = err.issues;
    }
  }
  return issues.map((issue) => ({ ...issue, ...rangeFor(root, issue) }));
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function describeParseError(code: string): string {
  // "PropertyNameExpected" -> "property name expected"
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
