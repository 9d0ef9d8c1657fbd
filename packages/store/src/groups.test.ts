import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { positionEffects } from './position-effects.js';
import type { NewRun } from './records.js';
import { openStore, type Store } from './store.js';
import { newRun, resultsRow, tempDbPath } from './test-helpers.js';

// tools/fixtures/welch_fixtures.py: scipy.stats.ttest_ind(variant, baseline, equal_var=False).
const welch = JSON.parse(fs.readFileSync(new URL('../fixtures/student-t.json', import.meta.url), 'utf8')).welch;
const realistic = welch.find((c: { name: string }) => c.name === 'realistic_map');
const twoVsFive = welch.find((c: { name: string }) => c.name === 'n2_vs_n5');

const who = { worker: 'w', host: 'h', pid: 1 };

/** Trains one epoch per run with the given mAP50-95 (and mAP50 = 2 × it), then completes it. */
function completeRuns(store: Store, sweepId: number, runs: { run: NewRun; map: number }[]) {
  store.addRuns(sweepId, runs.map((r) => r.run));
  for (const { map } of runs) {
    const claimed = store.claimRun(who)!;
    store.logEpoch(claimed.id, { row: resultsRow(1, 0, { 'metrics/mAP50-95(B)': map, 'metrics/mAP50(B)': 2 * map }) });
    store.finishRun(claimed.id, 'completed');
  }
}

const seeds = (name: string, positions: string[], maps: number[], grid = {}) =>
  maps.map((map, seed) => ({ run: newRun(`${name}-${JSON.stringify(grid)}-${seed}`, { name, positions, seed, grid, epoch_budget: 1 }), map }));

describe('groupRuns', () => {
  it('gives n, mean ± sample std per variant and Δ vs the baseline as scipy computes it', () => {
    const store = openStore(tempDbPath());
    const sweep = store.ensureSweep({ name: 'neck' });
    completeRuns(store, sweep.id, [
      ...seeds('yolov8n', [], realistic.b),
      ...seeds('yolov8n+P5', ['P5'], realistic.a),
      ...seeds('yolov8n+P3', ['P3'], [0.5]),
    ]);
    // Not completed: left out of the statistics. A reproduction repeats a seed: left out too.
    store.addRuns(sweep.id, [newRun('queued', { name: 'yolov8n+P5', positions: ['P5'], seed: 9 })]);
    const copy = store.addReproduction(store.listRuns({ sweep: 'neck' })[0]!.id);
    store.claimRun(who, { runId: copy.id });
    store.logEpoch(copy.id, { row: resultsRow(1, 0, { 'metrics/mAP50-95(B)': 0.9, 'metrics/mAP50(B)': 0.9 }) });
    store.finishRun(copy.id, 'completed');
    const groups = store.groupRuns({ sweep: 'neck' });
    expect(groups.map((g) => [g.name, g.n, g.is_baseline])).toEqual([['yolov8n', 3, true], ['yolov8n+P5', 3, false], ['yolov8n+P3', 1, false]]);
    const [base, p5, p3] = groups as [typeof groups[0], typeof groups[0], typeof groups[0]];
    expect(base.vs_baseline).toBeNull();
    expect(p5.map50_95.mean).toBeCloseTo(realistic.mean_a, 14);
    expect(p5.map50_95.std).toBeCloseTo(realistic.std_a, 14);
    expect(p5.seeds).toEqual([0, 1, 2]);
    expect(p5.baseline).toEqual({ name: 'yolov8n', grid: {} });
    const d = p5.vs_baseline!.map50_95!;
    for (const [got, want] of [[d.diff, realistic.diff], [d.ci_low, realistic.ci_low], [d.ci_high, realistic.ci_high], [d.p, realistic.p], [d.df, realistic.df]]) {
      expect(Math.abs(got - want)).toBeLessThan(1e-10 * Math.max(1, Math.abs(want)));
    }
    // mAP50 is twice mAP50-95 here: the same test, every number doubled but p and df.
    expect(p5.vs_baseline!.map50!.diff).toBeCloseTo(2 * realistic.diff, 14);
    expect(p5.vs_baseline!.map50!.p).toBeCloseTo(realistic.p, 12);
    // One run: no spread, no test, but the difference of means.
    expect(p3.map50_95).toEqual({ mean: 0.5, std: null });
    expect(p3.vs_baseline).toEqual({ map50: null, map50_95: null });
    expect(p3.delta!.map50_95).toBeCloseTo(0.5 - realistic.mean_b, 14);
    expect(p5.delta!.map50).toBeCloseTo(2 * realistic.diff, 14);
    expect(base.delta).toBeNull();
  });

  it('gives each position the mean Δ of the variants that include it', () => {
    const store = openStore(tempDbPath());
    const sweep = store.ensureSweep({ name: 'effects' });
    completeRuns(store, sweep.id, [
      ...seeds('yolov8n', [], [0.30, 0.32]),
      ...seeds('yolov8n+P3', ['P3'], [0.33, 0.35]), // Δ +0.03
      ...seeds('yolov8n+P5', ['P5'], [0.29]), // Δ -0.02
      ...seeds('yolov8n+P3+P5', ['P3', 'P5'], [0.36, 0.36]), // Δ +0.05
      ...seeds('yolov8s+P4', ['P4'], [0.5, 0.6]).map((r) => ({ ...r, run: { ...r.run, scale: 's' } })), // no baseline at scale s
    ]);
    const effects = positionEffects(store.groupRuns({ sweep: 'effects' }), { scale: 'n' });
    expect(Object.keys(effects).sort()).toEqual(['P3', 'P5']);
    expect(effects.P3!.variants).toEqual(['yolov8n+P3', 'yolov8n+P3+P5']);
    expect(effects.P3!.mean_delta!.map50_95).toBeCloseTo((0.03 + 0.05) / 2, 14);
    expect(effects.P5!.mean_delta!.map50_95).toBeCloseTo((-0.02 + 0.05) / 2, 14);
    expect(effects.P5!.mean_delta!.map50).toBeCloseTo(-0.02 + 0.05, 14);
    expect(positionEffects(store.groupRuns({ sweep: 'effects' })).P4).toEqual({ variants: [], mean_delta: null });
  });

  it('keeps modules apart: each group has its module, and position effects are per module', () => {
    const store = openStore(tempDbPath());
    const sweep = store.ensureSweep({ name: 'attention' });
    const placed = (module: string, positions: string[], maps: number[]) =>
      seeds(`yolo11n+${module}@${positions.join('+')}`, positions, maps).map((r) => ({ ...r, run: { ...r.run, module } }));
    completeRuns(store, sweep.id, [
      ...seeds('yolo11n', [], [0.30, 0.32]),
      ...placed('ACmix', ['P3'], [0.34, 0.36]), // Δ +0.04
      ...placed('CBAM', ['P3'], [0.29, 0.31]), // Δ -0.01
      ...placed('CBAM', ['P3', 'P5'], [0.31, 0.33]), // Δ +0.01
    ]);
    const groups = store.groupRuns({ sweep: 'attention' });
    expect(groups.map((g) => [g.name, g.module])).toEqual([['yolo11n', null], ['yolo11n+ACmix@P3', 'ACmix'], ['yolo11n+CBAM@P3', 'CBAM'], ['yolo11n+CBAM@P3+P5', 'CBAM']]);
    expect(store.listRuns({ sweep: 'attention' }).map((r) => r.module)).toEqual([null, null, 'ACmix', 'ACmix', 'CBAM', 'CBAM', 'CBAM', 'CBAM']);
    const acmix = positionEffects(groups, { scale: 'n', module: 'ACmix' });
    expect(Object.keys(acmix)).toEqual(['P3']);
    expect(acmix.P3!.mean_delta!.map50_95).toBeCloseTo(0.04, 14);
    const cbam = positionEffects(groups, { module: 'CBAM' });
    expect(cbam.P3!.variants).toEqual(['yolo11n+CBAM@P3', 'yolo11n+CBAM@P3+P5']);
    expect(cbam.P3!.mean_delta!.map50_95).toBeCloseTo(0, 14);
    expect(cbam.P5!.mean_delta!.map50_95).toBeCloseTo(0.01, 14);
    expect(positionEffects(groups).P3!.variants).toHaveLength(3); // no module given: all of them, blended
  });

  it('compares each grid setting with the baseline that shares its grid values', () => {
    const store = openStore(tempDbPath());
    const sweep = store.ensureSweep({ name: 'grid' });
    completeRuns(store, sweep.id, [
      ...seeds('yolov8n', [], twoVsFive.b, { 'train.lr0': 0.01 }),
      ...seeds('yolov8n', [], [0.1, 0.2], { 'train.lr0': 0.002 }),
      ...seeds('yolov8n+P5', ['P5'], twoVsFive.a, { 'module.head': 4, 'train.lr0': 0.01 }),
    ]);
    const groups = store.groupRuns();
    expect(groups.map((g) => [g.name, g.grid, g.n])).toEqual([
      ['yolov8n', { 'train.lr0': 0.01 }, 5], ['yolov8n', { 'train.lr0': 0.002 }, 2], ['yolov8n+P5', { 'module.head': 4, 'train.lr0': 0.01 }, 2],
    ]);
    const variant = groups[2]!;
    expect(variant.baseline).toEqual({ name: 'yolov8n', grid: { 'train.lr0': 0.01 } });
    expect(variant.vs_baseline!.map50_95!.df).toBeCloseTo(twoVsFive.df, 10);
    expect(variant.vs_baseline!.map50_95!.ci_low).toBeCloseTo(twoVsFive.ci_low, 10);
  });

  it('has no comparison in a sweep without a baseline', () => {
    const store = openStore(tempDbPath());
    const sweep = store.ensureSweep({ name: 'only-acmix' });
    completeRuns(store, sweep.id, seeds('yolov8n+P5', ['P5'], [0.3, 0.31]));
    expect(store.groupRuns()[0]).toMatchObject({ n: 2, baseline: null, vs_baseline: null, is_baseline: false });
  });
});
