import { describe, expect, it } from 'vitest';
import { openStore } from './store.js';
import { newRun, resultsRow, tempDbPath } from './test-helpers.js';

const who = { worker: 'w', host: 'h', pid: 1 };

describe('variantCurves', () => {
  it('gives per epoch the mean and sample std over a variant\'s seeds, leaving NaN out and counting running runs', () => {
    const store = openStore(tempDbPath());
    const sweep = store.ensureSweep({ name: 'curves' });
    // mAP50-95 by seed and epoch; seed 2 is still at epoch 2 and has a NaN at epoch 1.
    const maps: Record<string, number[][]> = { yolov8n: [[0.1, 0.2, 0.3], [0.3, 0.4, 0.5], [NaN, 0.6]], 'yolov8n+P5': [[0.2, 0.25, 0.3]] };
    const ids: number[] = [];
    for (const [name, bySeed] of Object.entries(maps)) {
      bySeed.forEach((epochs, seed) => {
        const [run] = store.addRuns(sweep.id, [newRun(`${name}-${seed}`, { name, seed, positions: name === 'yolov8n' ? [] : ['P5'] })]);
        store.claimRun(who, { runId: run!.id });
        epochs.forEach((map, i) => store.logEpoch(run!.id, { row: resultsRow(i + 1, 0, { 'metrics/mAP50-95(B)': map }) }));
        if (epochs.length === 3) store.finishRun(run!.id, 'completed');
        ids.push(run!.id);
      });
    }
    const other = store.addRuns(sweep.id, [newRun('not-asked')])[0]!;
    const copy = store.addReproduction(ids[0]!);
    store.claimRun(who, { runId: copy.id });
    store.logEpoch(copy.id, { row: resultsRow(1, 0, { 'metrics/mAP50-95(B)': 0.7 }) });
    // A reproduction is a curve of its own, not one more seed.
    expect(store.variantCurves([ids[0]!, copy.id], 'map50_95').map((c) => [c.run_ids, c.reproduces, c.points.map((p) => p.mean)]))
      .toEqual([[[ids[0]], null, [0.1, 0.2, 0.3]], [[copy.id], ids[0], [0.7]]]);
    const curves = store.variantCurves(ids, 'map50_95');
    expect(curves.map((c) => [c.name, c.run_ids, c.seeds])).toEqual([['yolov8n', ids.slice(0, 3), [0, 1, 2]], ['yolov8n+P5', [ids[3]], [0]]]);
    expect(curves.flatMap((c) => c.run_ids)).not.toContain(other.id);
    const [base, p5] = curves as [typeof curves[0], typeof curves[0]];
    expect(base.points.map((p) => [p.epoch, p.n])).toEqual([[1, 2], [2, 3], [3, 2]]);
    expect(base.points[0]!.mean).toBeCloseTo(0.2, 14);
    expect(base.points[0]!.std).toBeCloseTo(Math.SQRT2 * 0.1, 14); // values 0.1, 0.3
    expect(base.points[1]!.mean).toBeCloseTo(0.4, 14);
    expect(base.points[1]!.std).toBeCloseTo(0.2, 14); // 0.2, 0.4, 0.6
    expect(p5.points.map((p) => [p.mean, p.std])).toEqual([[0.2, null], [0.25, null], [0.3, null]]);
    expect(store.variantCurves([ids[3]!], 'train_box_loss')[0]!.points[0]!.mean).toBe(resultsRow(1)['train/box_loss']);
  });
});
