import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatG, parseResultsCsv, RESULTS_COLUMNS, writeResultsRow, type ResultsRow } from './results-csv.js';

describe('results.csv', () => {
  it('formats numbers like Python %.5g', () => {
    const cases: [number, string][] = [
      [1, '1'], [0.5, '0.5'], [1.234567, '1.2346'], [12345.67, '12346'], [123456.7, '1.2346e+05'],
      [0.00012345678, '0.00012346'], [0.000012345, '1.2345e-05'], [1e-5, '1e-05'], [0, '0'], [-2.5, '-2.5'],
      [0.0099999999, '0.01'], [99999.9, '1e+05'],
    ];
    for (const [x, want] of cases) expect(formatG(x), String(x)).toBe(want);
  });

  it('writes Ultralytics columns padded to 23 and replaces a redone epoch', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csv-')), 'results.csv');
    const row = (epoch: number): ResultsRow => Object.fromEntries(RESULTS_COLUMNS.map((c, i) => [c, c === 'epoch' ? epoch : i / 7])) as ResultsRow;
    writeResultsRow(file, row(1));
    writeResultsRow(file, row(2));
    writeResultsRow(file, { ...row(2), 'metrics/mAP50(B)': 0.75 });
    const text = fs.readFileSync(file, 'utf8');
    const header = text.split('\n')[0]!;
    expect(header.split(',')[1]).toBe('         train/box_loss');
    const rows = parseResultsCsv(text);
    expect(rows.map((r) => r.epoch)).toEqual([1, 2]);
    expect(rows[1]!['metrics/mAP50(B)']).toBe(0.75);
  });

  it('reads back nan and ±inf as written, and the unpadded Ultralytics 8.3 form with its time column', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'csv-')), 'results.csv');
    const row = Object.fromEntries(RESULTS_COLUMNS.map((c) => [c, 0.5])) as ResultsRow;
    writeResultsRow(file, { ...row, epoch: 1, 'train/box_loss': NaN, 'val/box_loss': Infinity, 'val/cls_loss': -Infinity });
    const [back] = parseResultsCsv(fs.readFileSync(file, 'utf8'));
    expect(back!['train/box_loss']).toBeNaN();
    expect(back!['val/box_loss']).toBe(Infinity);
    expect(back!['val/cls_loss']).toBe(-Infinity);
    const v83 = 'epoch,time,train/box_loss,metrics/mAP50(B)\n1,12.5,1.2,0.25\n2,24.9,nan,\n';
    expect(parseResultsCsv(v83)).toEqual([
      { epoch: 1, time: 12.5, 'train/box_loss': 1.2, 'metrics/mAP50(B)': 0.25 },
      { epoch: 2, time: 24.9, 'train/box_loss': NaN, 'metrics/mAP50(B)': NaN },
    ]);
  });
});
