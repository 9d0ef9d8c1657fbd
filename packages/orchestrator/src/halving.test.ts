// Successive halving with real training: four variants, min_epochs 1, eta 2, train.epochs 3 (rungs 1, 2, 3).
// Pruned runs stop at their rung with their metrics kept; the runs that continue resume from their
// checkpoints (each epoch trained once, each attempt starting after the last) and end as the run trained
// straight through (its reproduction: same metrics, same weights).
import { afterAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { openReader } from '@acmix-lab/store';
import { differingWeights } from '@acmix-lab/trainer/testing';
import { reproduceRun } from './reproduce.js';
import { runSweep } from './sweep-runner.js';
import { loggedEpochs, TINY_TRAIN, tinyWorkspace } from './test-runs.js';

const ws = tinyWorkspace();
afterAll(() => fs.rmSync(ws.dir, { recursive: true, force: true }));

describe('strategy: halving', () => {
  it('prunes at each rung with metrics kept, continues the best from their checkpoints to the same end as straight through', async () => {
    const dbFile = path.join(ws.dir, 'halving.db');
    const file = ws.sweep('halving', `positions:\n  P3: {after: neck.P3}\n  P4: {after: neck.P4}\n  P5: {after: neck.P5}\n`
      + `combine: [[], [P3], [P4], [P5]]\ntrain: ${TINY_TRAIN}\nstrategy: halving\nmin_epochs: 1\neta: 2\n`);
    const attempts = new Map<number, { startEpoch: number; budget: number; epochs: number[] }[]>();
    const result = await runSweep(file, {
      dbFile, workers: 2,
      observer: {
        message: (_slot, m) => {
          if (m.type === 'start') attempts.set(m.runId, [...(attempts.get(m.runId) ?? []), { startEpoch: m.startEpoch, budget: m.budget, epochs: [] }]);
          if (m.type === 'epoch') attempts.get(m.runId)!.at(-1)!.epochs.push(m.epoch);
        },
      },
    });
    expect(result.decisions.map((d) => [d.rung, d.ranking.length, d.promoted.length, d.pruned.length])).toEqual([[1, 4, 2, 2], [2, 2, 1, 1]]);
    const [first, second] = result.decisions;
    // Ranked by fitness, ties by order; what continues is the top of each ranking.
    expect(first!.promoted.map((p) => p.id)).toEqual(first!.ranking.slice(0, 2).flatMap((v) => v.runs));
    expect(first!.ranking.map((v) => v.fitness)).toEqual([...first!.ranking.map((v) => v.fitness)].sort((a, b) => b - a));
    const winner = second!.promoted[0]!.id;
    const reader = openReader(dbFile);
    const runs = result.runs.map((r) => reader.getRun(r.id)!);
    reader.close();

    for (const run of runs) {
      const rung = first!.pruned.includes(run.id) ? 1 : second!.pruned.includes(run.id) ? 2 : 3;
      expect(run).toMatchObject({ status: rung === 3 ? 'completed' : 'pruned', epoch: rung, epoch_budget: rung });
      const epochs = Array.from({ length: rung }, (_, i) => i + 1);
      expect(loggedEpochs(dbFile, run)).toEqual({ store: epochs, csv: epochs }); // metrics kept, each epoch once
      expect(run.config.epochs).toBe(3); // trained with the full schedule, stopped at the rung
      // One attempt per rung reached, each resuming after the previous one's last epoch.
      expect(attempts.get(run.id)).toEqual(epochs.map((e) => ({ startEpoch: e, budget: e, epochs: [e] })));
    }
    expect(runs.find((r) => r.status === 'completed')!.id).toBe(winner);

    const straight = await reproduceRun(dbFile, winner);
    expect(straight.copy).toMatchObject({ status: 'completed', epoch: 3, epoch_budget: 3 });
    expect(straight.identical).toBe(true);
    expect(differingWeights(straight.copy.run_dir!, runs.find((r) => r.id === winner)!.run_dir!)).toEqual([]);
  });
});
