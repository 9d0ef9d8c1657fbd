// Strategies on runs made through the store (no training): rungs, how many continue, the ranking by mean
// fitness over seeds, promotions and prunes in one transaction, and the epochs planned for the progress bar.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, RunStateError, type Store } from '@acmix-lab/store';
import { RESULTS_COLUMNS, type ResultsRow } from '@acmix-lab/trainer/results-csv';
import { fixedBudgets, rungs, strategyFor, survivors, type StrategyRun } from './strategy.js';

const who = { worker: 'test:1', host: 'test', pid: 1 };

/** A row whose fitness (0.1·mAP50 + 0.9·mAP50-95) is `fitness`. */
function row(epoch: number, fitness: number): ResultsRow {
  const r = Object.fromEntries(RESULTS_COLUMNS.map((c) => [c, 0])) as ResultsRow;
  return { ...r, epoch, 'metrics/mAP50(B)': fitness, 'metrics/mAP50-95(B)': fitness };
}

/** Runs by variant name, one per fitness (a seed each), trained to `budget` of `epochs` and waiting there. */
function waitingRuns(variants: Record<string, number[]>, budget: number, epochs = 10): { store: Store; view: () => StrategyRun[] } {
  const store = openStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strategy-')), 'runs.db'));
  const sweep = store.ensureSweep({ name: 's' });
  for (const [name, fitnesses] of Object.entries(variants)) {
    fitnesses.forEach((f, seed) => {
      const [run] = store.addRuns(sweep.id, [{ key: `${name}-${seed}`, name, positions: [], scale: 'n', seed, model_yaml: 'nc: 1\n', config: { epochs }, epoch_budget: budget }]);
      store.claimRun(who, { runId: run!.id });
      for (let e = 1; e <= budget; e++) store.logEpoch(run!.id, { row: row(e, e === budget ? f : 0) });
      store.releaseRun(run!.id);
    });
  }
  return { store, view: () => store.listRuns().map((r) => ({ ...r, target: epochs })) };
}

describe('rungs and survivors', () => {
  it('rungs are min_epochs·eta^k below train.epochs, then train.epochs; the best 1/eta continue, at least one', () => {
    expect(rungs(1, 2, 3)).toEqual([1, 2, 3]);
    expect(rungs(2, 3, 20)).toEqual([2, 6, 18, 20]);
    expect(rungs(2, 2, 8)).toEqual([2, 4, 8]);
    expect(rungs(5, 3, 4)).toEqual([4]);
    expect([1, 2, 3, 5, 9].map((n) => survivors(n, 3))).toEqual([1, 1, 1, 1, 3]);
    expect(survivors(5, 2)).toBe(2);
    const halving = strategyFor({ kind: 'halving', minEpochs: 2, eta: 2 });
    expect([halving.firstBudget(10), halving.firstBudget(1)]).toEqual([2, 1]);
    expect(strategyFor({ kind: 'grid' }).firstBudget(10)).toBe(10);
  });
});

describe('halving', () => {
  const halving = strategyFor({ kind: 'halving', minEpochs: 2, eta: 2 });

  it('ranks variants by mean fitness over seeds, promotes the best 1/eta to the next rung and prunes the rest, metrics kept', () => {
    const { store, view } = waitingRuns({ a: [0.1, 0.3], b: [0.5, 0.1], c: [0.25, 0.2], d: [0.05, 0.05], e: [0.4, 0.35] }, 2);
    expect(halving.plannedEpochs(view())).toBe(10 * 2 + 2 * 2 * (4 - 2) + 1 * 2 * (10 - 4));
    const d = halving.advance(store, view())!;
    expect(d.rung).toBe(2);
    expect(d.ranking.map((v) => [v.name, Number(v.fitness.toFixed(3))])).toEqual([['e', 0.375], ['b', 0.3], ['c', 0.225], ['a', 0.2], ['d', 0.05]]);
    expect(d.promoted).toEqual([9, 10, 3, 4].map((id) => ({ id, budget: 4 })));
    expect(d.pruned).toEqual([5, 6, 1, 2, 7, 8]);
    const after = store.listRuns();
    expect(after.filter((r) => r.status === 'pruned').map((r) => [r.id, r.epochs, r.epoch_budget])).toEqual([1, 2, 5, 6, 7, 8].map((id) => [id, 2, 2]));
    expect(store.runMetrics(1).map((m) => m.epoch)).toEqual([1, 2]);
    expect(after.filter((r) => r.status === 'queued').map((r) => r.epoch_budget)).toEqual([4, 4, 4, 4]);
    expect(halving.advance(store, view())).toBeNull(); // the promoted runs can train: nothing waits
  });

  it('the last variant standing goes straight to train.epochs; a lone variant too', () => {
    const { store, view } = waitingRuns({ a: [0.2], b: [0.3] }, 2);
    expect(halving.advance(store, view())!.promoted).toEqual([{ id: 2, budget: 10 }]);
    const lone = waitingRuns({ a: [0.2, 0.1] }, 2);
    expect(halving.advance(lone.store, lone.view())!.promoted.map((p) => p.budget)).toEqual([10, 10]);
  });

  it('decides on fresh state only: a run that is no longer waiting makes the decision change nothing', () => {
    const { store, view } = waitingRuns({ a: [0.2], b: [0.3], c: [0.1] }, 2);
    const stale = view();
    store.setEpochBudget(3, 4); // another runner promoted c meanwhile
    expect(() => halving.advance(store, stale)).toThrow(RunStateError);
    expect(store.listRuns().map((r) => [r.status, r.epoch_budget])).toEqual([['queued', 2], ['queued', 2], ['queued', 4]]);
  });
});

describe('grid and fixed budgets', () => {
  it('grid promotes a run left waiting to train.epochs; fixed stops it where it is', () => {
    const grid = waitingRuns({ a: [0.2] }, 2);
    expect(strategyFor({ kind: 'grid' }).plannedEpochs(grid.view())).toBe(10);
    expect(strategyFor({ kind: 'grid' }).advance(grid.store, grid.view())!.promoted).toEqual([{ id: 1, budget: 10 }]);
    const fixed = waitingRuns({ a: [0.2] }, 2);
    expect(fixedBudgets().plannedEpochs(fixed.view())).toBe(2);
    expect(fixedBudgets().advance(fixed.store, fixed.view())!.pruned).toEqual([1]);
    expect(fixed.store.getRun(1)!.status).toBe('pruned');
  });
});
