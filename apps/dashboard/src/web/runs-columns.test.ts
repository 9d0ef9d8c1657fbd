import { describe, expect, it } from 'vitest';
import type { Run } from './api.js';
import { COLUMNS, matcher, sortRuns, toCsv } from './runs-columns.js';

const run = (id: number, over: Partial<Run> = {}): Run => ({
  id, sweep: 'neck', name: 'yolov8n', key: `k${id}`, positions: [], module: null, grid: {}, scale: 'n', seed: 0, status: 'completed', epochs: 3, epoch_budget: 3,
  best_epoch: 3, params: 3157200, gflops: 8.86, map50: 0.4, map50_95: 0.25, fitness: 0.27, duration: 30, reproduces: null, host: 'h', worker: 'w',
  backend: 'tensorflow', retries: 0, error: null, started_at: null, ended_at: null, ...over,
});
const column = (key: string) => COLUMNS.find((c) => c.key === key)!;
const ids = (runs: Run[]) => runs.map((r) => r.id);

describe('runs table columns', () => {
  const runs = [run(1, { map50_95: 0.3, name: 'yolov8n+P10' }), run(2, { map50_95: null, status: 'queued', host: null }), run(3, { map50_95: 0.1, name: 'yolov8n+P9', host: 'gpu-2' }), run(4, { map50_95: 0.3, positions: ['P5'], module: 'CBAM', host: 'gpu-1' }), run(5, { map50_95: 0.2, positions: ['P5'], module: 'ACmix' })];

  it('sorts numbers as numbers, text in natural order, nulls last either way, ties by id', () => {
    expect(ids(sortRuns(runs, column('map50_95'), false))).toEqual([3, 5, 1, 4, 2]);
    expect(ids(sortRuns(runs, column('map50_95'), true))).toEqual([1, 4, 5, 3, 2]);
    expect(ids(sortRuns(runs, column('name'), false))).toEqual([2, 4, 5, 3, 1]); // yolov8n ×3, …P9, …P10
    expect(ids(sortRuns(runs, column('module'), false))).toEqual([5, 4, 1, 2, 3]); // ACmix, CBAM, then the baselines' null
  });

  it.each([
    ['map50_95', '>0.2', [1, 4]], ['map50_95', '<=0.1', [3]], ['map50_95', '0.1..0.3', [1, 3, 4, 5]], ['map50_95', '0.3', [1, 4]],
    ['map50_95', '!=0.3', [2, 3, 5]], ['status', 'QUEUE', [2]], ['status', '!queued', [1, 3, 4, 5]], ['name', '=yolov8n', [2, 4, 5]],
    ['positions', 'P5', [4, 5]], ['positions', 'baseline', [1, 2, 3]], ['name', '', [1, 2, 3, 4, 5]],
    ['module', 'cbam', [4]], ['module', '=ACmix', [5]], ['module', '!cbam', [1, 2, 3, 5]],
    ['host', 'gpu', [3, 4]], ['host', '=gpu-1', [4]], ['host', '!gpu', [1, 2, 5]],
  ])('filters %s by "%s"', (key, filter, want) => {
    expect(ids(runs.filter(matcher(column(key), filter)))).toEqual(want);
  });

  it('writes CSV with quoting, empty nulls and no formulas', () => {
    const csv = toCsv([run(7, { name: '=HYPERLINK("x")', error: 'a, "b"\nc', map50_95: null })]);
    const [header, line] = csv.split('\r\n');
    expect(header).toBe(COLUMNS.map((c) => c.key).join(','));
    expect(line).toContain(`"'=HYPERLINK(""x"")"`);
    expect(line).toContain('"a, ""b""\nc"');
    expect(line!.split(',')[COLUMNS.findIndex((c) => c.key === 'map50_95')]).toBe('');
  });
});
