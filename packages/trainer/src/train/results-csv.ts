// results.csv exactly as Ultralytics writes it (engine/trainer.py save_metrics): every field
// right-aligned to 23 characters, numbers as '%.5g', so users' pandas/plot scripts carry over.
import fs from 'node:fs';
// The narrow subpath keeps this module free of TensorFlow: the store (and the dashboard) parse results.csv.
import { writeFileAtomic } from '@acmix-lab/runtime/atomic';

export const RESULTS_COLUMNS = [
  'epoch', 'train/box_loss', 'train/cls_loss', 'train/dfl_loss',
  'metrics/precision(B)', 'metrics/recall(B)', 'metrics/mAP50(B)', 'metrics/mAP50-95(B)',
  'val/box_loss', 'val/cls_loss', 'val/dfl_loss', 'lr/pg0', 'lr/pg1', 'lr/pg2',
] as const;

export type ResultsColumn = (typeof RESULTS_COLUMNS)[number];
export type ResultsRow = Record<ResultsColumn, number>;

/** C's/Python's '%.<p>g': the exponent is that of the value rounded to p significant digits. */
export function formatG(x: number, precision = 5): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  if (x === 0) return '0';
  const stripZeros = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  const [mantissa, expText] = x.toExponential(precision - 1).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= precision) {
    return `${stripZeros(mantissa!)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return stripZeros(x.toFixed(precision - 1 - exp));
}

const pad = (s: string) => s.padStart(23);

export function formatResultsHeader(): string {
  return RESULTS_COLUMNS.map(pad).join(',');
}

export function formatResultsRow(row: ResultsRow): string {
  return RESULTS_COLUMNS.map((c) => pad(formatG(row[c]))).join(',');
}

/** A field as Python's float() reads it: '%g' writes 'nan', 'inf' and '-inf', which Number() does not parse. */
function parseField(field: string): number {
  const s = field.trim().toLowerCase();
  if (s === 'inf' || s === '+inf' || s === 'infinity') return Infinity;
  if (s === '-inf' || s === '-infinity') return -Infinity;
  return s === '' || s === 'nan' ? NaN : Number(s);
}

/** Rows keyed by the header's names: the trainer's columns, and any others (Ultralytics 8.3 adds `time`). */
export function parseResultsCsv(text: string): ResultsRow[] {
  const [header, ...lines] = text.trim().split('\n');
  const cols = header!.split(',').map((c) => c.trim());
  return lines.filter((line) => line.trim()).map((line) => {
    const vals = line.split(',').map(parseField);
    return Object.fromEntries(cols.map((c, i) => [c, vals[i]!])) as ResultsRow;
  });
}

function readRows(file: string): ResultsRow[] {
  return fs.existsSync(file) ? parseResultsCsv(fs.readFileSync(file, 'utf8')) : [];
}

function writeRows(file: string, rows: ResultsRow[]): ResultsRow[] {
  writeFileAtomic(file, [formatResultsHeader(), ...rows.map(formatResultsRow)].join('\n') + '\n');
  return rows;
}

/**
 * Rewrite the whole file atomically with rows up to and including `row.epoch`: on resume the epoch
 * being redone replaces any row a killed run had written, so no epoch appears twice. Returns the
 * rows now in the file (what the results plot draws).
 */
export function writeResultsRow(file: string, row: ResultsRow): ResultsRow[] {
  return writeRows(file, [...readRows(file).filter((r) => r.epoch < row.epoch), row]);
}

/** The rows of epochs 1..`lastEpoch` (what a checkpoint covers), read without changing the file. */
export function resultsUpTo(file: string, lastEpoch: number): ResultsRow[] {
  return readRows(file).filter((r) => r.epoch <= lastEpoch);
}

/** Rewrites the file with only the rows of epochs 1..`lastEpoch`; returns them. */
export function truncateResults(file: string, lastEpoch: number): ResultsRow[] {
  return writeRows(file, resultsUpTo(file, lastEpoch));
}
