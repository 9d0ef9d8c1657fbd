import { describe, expect, it } from 'vitest';
import { compareEpochs } from './run-compare.js';
import { METRIC_COLUMNS, toMetricsRecord, type MetricsRecord } from './metric-columns.js';

const record = (epoch: number, values: Partial<Record<string, number>> = {}): MetricsRecord => toMetricsRecord({
  run_id: 1, epoch, time: null, ...Object.fromEntries(METRIC_COLUMNS.map(({ column }, i) => [column, values[column] ?? i / 10 + epoch])),
});

describe('compareEpochs', () => {
  it('is zero for identical epochs, NaN equal to NaN', () => {
    const run = [record(1, { train_box_loss: NaN }), record(2)];
    const result = compareEpochs(run, run.map((r) => ({ ...r })));
    expect(result.epochs).toBe(2);
    expect(result.columns.every((c) => c.differing_epochs === 0 && c.max_abs === 0 && c.last === 0)).toBe(true);
  });

  it('counts differing epochs, the largest difference and the last common epoch\'s difference', () => {
    const run = [record(1, { map50_95: 0.5 }), record(2, { map50_95: 0.7 }), record(3)];
    const other = [record(1, { map50_95: 0.4 }), record(2, { map50_95: 0.75, train_box_loss: NaN })];
    const { epochs, columns } = compareEpochs(run, other);
    expect(epochs).toBe(2);
    const map = columns.find((c) => c.column === 'map50_95')!;
    expect(map.differing_epochs).toBe(2);
    expect(map.max_abs).toBeCloseTo(0.1, 14);
    expect(map.last).toBeCloseTo(-0.05, 14);
    const box = columns.find((c) => c.column === 'train_box_loss')!;
    expect([box.differing_epochs, box.max_abs, box.last]).toEqual([1, NaN, NaN]);
    expect(columns.find((c) => c.column === 'recall')!.differing_epochs).toBe(0);
  });
});
