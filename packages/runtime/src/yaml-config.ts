// Plain-data configuration validated once at the edge: parse YAML keeping source positions, check
// it with a zod schema, and report the first problem as `file:line:column: field: message`.
import fs from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly file: string, readonly line: number, readonly column: number, readonly field: string, readonly reason: string) {
    super(`${file}:${line}:${column}: ${field ? `${field}: ` : ''}${reason}`);
  }
}

export interface ParsedYaml {
  file: string;
  doc: Document;
  lines: LineCounter;
  value: unknown;
}

export function parseYamlText(text: string, file: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lines.linePos(err.pos[0]);
    throw new ConfigError(file, line, col, '', `YAML syntax error: ${err.message.split('\n')[0]}`);
  }
  return { file, doc, lines, value: doc.toJS() };
}

export function readYamlFile(file: string): ParsedYaml {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, 0, 0, '', `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseYamlText(text, file);
}

/** The deepest node along `path` that exists, so errors point at the offending value or its parent. */
function nodeAt(doc: Document, path: readonly PropertyKey[]): Node | null {
  let node: unknown = doc.contents;
  let found = node as Node | null;
  for (const key of path) {
    if (isMap(node)) node = node.get(key as string, true);
    else if (isSeq(node)) node = node.get(Number(key), true);
    else break;
    if (!node) break;
    found = node as Node;
  }
  return found;
}

/** Source position of the value at `path` (1-based line and column). */
export function positionOf(parsed: ParsedYaml, path: readonly PropertyKey[]): { line: number; column: number } {
  const node = nodeAt(parsed.doc, path);
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = parsed.lines.linePos(offset);
  return { line, column: col };
}

export function fieldName(path: readonly PropertyKey[]): string {
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

/** An error positioned at `path` inside a parsed file. */
export function configErrorAt(parsed: ParsedYaml, path: readonly PropertyKey[], reason: string): ConfigError {
  const { line, column } = positionOf(parsed, path);
  return new ConfigError(parsed.file, line, column, fieldName(path), reason);
}

/** Validate parsed YAML with a zod schema; the first issue becomes a positioned ConfigError. */
export function validateYaml<S extends z.ZodType>(parsed: ParsedYaml, schema: S): z.infer<S> {
  const result = schema.safeParse(parsed.value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // Point at an unknown key itself rather than at the mapping that holds it.
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  // A record key that fails its schema: zod says "Invalid key in record" and nests the reason.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  throw configErrorAt(parsed, path, message);
}
