// The runs table's columns: what each shows, sorts and filters by, and exports as CSV.
import type { Run } from './api.js';
import { count, duration, fixed, gridText } from './format.js';

export interface Column {
  key: string;
  label: string;
  /** The value sorted, filtered and exported; null sorts last and matches no numeric filter. */
  value: (run: Run) => string | number | null;
  /** As shown, when different from the value. */
  show?: (run: Run) => string;
  numeric?: boolean;
}

export const COLUMNS: Column[] = [
  { key: 'id', label: 'id', value: (r) => r.id, numeric: true },
  { key: 'sweep', label: 'sweep', value: (r) => r.sweep },
  { key: 'name', label: 'variant', value: (r) => r.name },
  { key: 'positions', label: 'placement', value: (r) => (r.positions === null ? '?' : r.positions.length ? r.positions.join('+') : 'baseline') },
  { key: 'module', label: 'module', value: (r) => r.module },
  { key: 'grid', label: 'grid', value: (r) => gridText(r.grid) },
  { key: 'scale', label: 'scale', value: (r) => r.scale },
  { key: 'seed', label: 'seed', value: (r) => r.seed, numeric: true },
  { key: 'status', label: 'status', value: (r) => r.status },
  { key: 'params', label: 'params', value: (r) => r.params, show: (r) => count(r.params), numeric: true },
  { key: 'gflops', label: 'GFLOPs', value: (r) => r.gflops, show: (r) => fixed(r.gflops, 2), numeric: true },
  { key: 'map50', label: 'mAP50', value: (r) => r.map50, show: (r) => fixed(r.map50), numeric: true },
  { key: 'map50_95', label: 'mAP50-95', value: (r) => r.map50_95, show: (r) => fixed(r.map50_95), numeric: true },
  { key: 'epochs', label: 'epochs', value: (r) => r.epochs, show: (r) => `${r.epochs}/${r.epoch_budget}`, numeric: true },
  { key: 'duration', label: 'duration', value: (r) => r.duration, show: (r) => duration(r.duration), numeric: true },
  { key: 'backend', label: 'backend', value: (r) => r.backend },
  // Where the run trains (or trained): a local worker's host, or the machine of a queue's `acmix-lab worker`.
  { key: 'host', label: 'host', value: (r) => r.host },
  { key: 'reproduces', label: 'reproduces', value: (r) => r.reproduces, numeric: true },
  { key: 'error', label: 'error', value: (r) => r.error },
];

/**
 * A column filter: numbers take `>0.3`, `<=10`, `!=0`, `=2`, `1..5` or a plain number (equal);
 * text matches case-insensitively, `=text` exactly, `!text` excludes. Empty: everything.
 */
export function matcher(column: Column, filter: string): (run: Run) => boolean {
  const f = filter.trim();
  if (!f) return () => true;
  if (column.numeric) {
    const range = /^(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)$/.exec(f);
    if (range) return (r) => inRange(column.value(r), Number(range[1]), Number(range[2]));
    const op = /^(<=|>=|!=|<|>|=)?\s*(-?[\d.eE+-]+)$/.exec(f);
    if (op) return (r) => compare(column.value(r), op[1] ?? '=', Number(op[2]));
  }
  const text = f.toLowerCase();
  const shown = (r: Run) => String(column.show?.(r) ?? column.value(r) ?? '').toLowerCase();
  if (text.startsWith('=')) return (r) => shown(r) === text.slice(1);
  if (text.startsWith('!')) return (r) => !shown(r).includes(text.slice(1));
  return (r) => shown(r).includes(text);
}

function inRange(v: string | number | null, low: number, high: number): boolean {
  return typeof v === 'number' && v >= low && v <= high;
}

function compare(v: string | number | null, op: string, x: number): boolean {
  if (typeof v !== 'number') return op === '!=';
  switch (op) {
    case '<': return v < x;
    case '<=': return v <= x;
    case '>': return v > x;
    case '>=': return v >= x;
    case '!=': return v !== x;
    default: return v === x;
  }
}

/** Ascending with nulls last whatever the direction, numbers as numbers, text in natural order. */
export function sortRuns(runs: readonly Run[], column: Column, descending: boolean): Run[] {
  const sign = descending ? -1 : 1;
  return [...runs].sort((a, b) => {
    const [x, y] = [column.value(a), column.value(b)];
    if (x === null || y === null) return x === y ? a.id - b.id : x === null ? 1 : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return order === 0 ? a.id - b.id : sign * order;
  });
}

/** RFC 4180 CSV of the rows' values; a text cell that a spreadsheet would run as a formula gets a leading '. */
export function toCsv(runs: readonly Run[]): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    if (typeof v === 'number') return String(v);
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return [COLUMNS.map((c) => c.key), ...runs.map((r) => COLUMNS.map((c) => cell(c.value(r))))].map((row) => row.join(',')).join('\r\n') + '\r\n';
}
