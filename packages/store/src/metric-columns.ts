// The `metrics` table holds one row per (run, epoch) with every results.csv column. SQL names are ones
// users can type in sqlite3 without quoting; the mapping to Ultralytics' results.csv names
// (engine/trainer.py save_metrics, as the trainer writes them) is this table.
import type { ResultsColumn, ResultsRow } from '@acmix-lab/trainer/results-csv';

type MetricCsvColumn = Exclude<ResultsColumn, 'epoch'>;

/** results.csv column → SQL column; checked against the trainer's column list, so a new column fails typecheck here. */
const SQL_NAME = {
  'train/box_loss': 'train_box_loss',
  'train/cls_loss': 'train_cls_loss',
  'train/dfl_loss': 'train_dfl_loss',
  'metrics/precision(B)': 'precision',
  'metrics/recall(B)': 'recall',
  'metrics/mAP50(B)': 'map50',
  'metrics/mAP50-95(B)': 'map50_95',
  'val/box_loss': 'val_box_loss',
  'val/cls_loss': 'val_cls_loss',
  'val/dfl_loss': 'val_dfl_loss',
  'lr/pg0': 'lr_pg0',
  'lr/pg1': 'lr_pg1',
  'lr/pg2': 'lr_pg2',
} as const satisfies Record<MetricCsvColumn, string>;

export type MetricColumn = (typeof SQL_NAME)[MetricCsvColumn];

export const METRIC_COLUMNS = (Object.entries(SQL_NAME) as [MetricCsvColumn, MetricColumn][]).map(([csv, column]) => ({ column, csv }));

/** One epoch of a run as the store returns it: results.csv values under their SQL names. */
export type MetricsRecord = { run_id: number; epoch: number; time: number | null } & Record<MetricColumn, number>;

/** NaN is stored as NULL (SQLite has no NaN; the REAL columns stay numeric for MAX/AVG/ORDER BY); ±Inf as itself. */
const encodeReal = (x: number): number | null => (Number.isNaN(x) ? null : x);
const decodeReal = (x: number | null): number => (x === null ? NaN : x);

/** SQL parameter values for a results.csv row, in METRIC_COLUMNS order. */
export function metricValues(row: ResultsRow): (number | null)[] {
  return METRIC_COLUMNS.map(({ csv }) => encodeReal(row[csv]));
}

export function toMetricsRecord(raw: Record<string, number | null>): MetricsRecord {
  const record: Record<string, number | null> = { run_id: raw.run_id!, epoch: raw.epoch!, time: raw.time ?? null };
  for (const { column } of METRIC_COLUMNS) record[column] = decodeReal(raw[column] ?? null);
  return record as MetricsRecord;
}
