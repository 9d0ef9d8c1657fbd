// Shared by the store's tests: a fresh database file and results.csv rows to log.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RESULTS_COLUMNS, type ResultsRow } from '@acmix-lab/trainer/results-csv';
import type { NewRun } from './records.js';

export function tempDbPath(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'acmix-store-')), 'runs', 'acmix-lab.db');
}

/** A results.csv row whose values depend on (epoch, salt), with mAPs rising over epochs. */
export function resultsRow(epoch: number, salt = 0, overrides: Partial<ResultsRow> = {}): ResultsRow {
  const row = Object.fromEntries(RESULTS_COLUMNS.map((c, i) => [c, c === 'epoch' ? epoch : 1 / (i + epoch + salt)])) as ResultsRow;
  row['metrics/mAP50(B)'] = 0.1 * epoch + salt / 100;
  row['metrics/mAP50-95(B)'] = 0.05 * epoch + salt / 200;
  return { ...row, ...overrides };
}

export function newRun(key: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    key, name: `yolov8n+${key}`, positions: [key], scale: 'n', seed: 0, model_yaml: 'nc: 1\n',
    config: { epochs: 3, imgsz: 64 }, epoch_budget: 3, ...overrides,
  };
}
