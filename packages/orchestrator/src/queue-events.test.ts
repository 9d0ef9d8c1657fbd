// How a queue's coordinator applies its workers' events to the store (no Redis: the events as decoded):
// in order they train a run as a local worker would; applied twice they change nothing; a worker taking
// over a stalled job costs the run a retry, and past maxRetries fails it; a worker that lost the run writes
// nothing; a refusal fails the run with its reason; NaN and infinities survive the JSON on the stream.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@acmix-lab/store';
import { RESULTS_COLUMNS, type ResultsRow } from '@acmix-lab/trainer/results-csv';
import { applyEvent, decodeEvent, encodeEvent, type QueueEvent } from './queue-events.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-events-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const row = (epoch: number, value = 0.5): ResultsRow => Object.fromEntries(RESULTS_COLUMNS.map((c) => [c, c === 'epoch' ? epoch : value])) as ResultsRow;
const who = (pid: number) => ({ worker: `gpu${pid}:${pid}`, host: `gpu${pid}`, pid });

function storeWithRun(name: string): { store: Store; id: number } {
  const store = openStore(path.join(dir, `${name}.db`));
  const sweep = store.ensureSweep({ name });
  const [run] = store.addRuns(sweep.id, [{ key: 'k', name: 'yolov8n', positions: [], scale: 'n', seed: 0, model_yaml: 'nc: 1\n', config: { epochs: 3 }, epoch_budget: 3 }]);
  return { store, id: run!.id };
}

describe('applyEvent', () => {
  it('trains a run from events, idempotently: each epoch once, a repeated event changes nothing', () => {
    const { store, id } = storeWithRun('apply');
    const a = who(1).worker;
    const events: QueueEvent[] = [
      { type: 'start', runId: id, who: who(1) },
      { type: 'info', runId: id, worker: a, info: { backend: 'tensorflow', run_dir: '/shared/x' } },
      { type: 'progress', worker: a, message: { type: 'epoch', runId: id, epoch: 1, epochs: 3, map50: 0, map50_95: 0, seconds: 1 } },
      { type: 'epoch', runId: id, worker: a, entry: { row: row(1), time: 1.5 } },
      { type: 'epoch', runId: id, worker: a, entry: { row: row(2), time: 3 } },
      { type: 'epoch', runId: id, worker: a, entry: { row: row(3), time: 4.5 }, end: { status: 'completed' }, artifacts: [{ kind: 'weights/last', path: '/shared/x/weights/last', bytes: 10 }] },
    ];
    for (const e of [...events, ...events]) applyEvent(store, e, 2); // everything delivered twice
    expect(store.getRun(id)).toMatchObject({ status: 'completed', epoch: 3, worker: a, host: 'gpu1', pid: 1, backend: 'tensorflow', run_dir: '/shared/x', retries: 0 });
    expect(store.runMetrics(id).map((m) => [m.epoch, m.time])).toEqual([[1, 1.5], [2, 3], [3, 4.5]]);
    expect(store.runArtifacts(id).map((x) => x.kind)).toEqual(['weights/last']);
    store.close();
  });

  it('counts a takeover of a stalled job as a retry, ignores the dead worker, keeps logged epochs, and fails the run past maxRetries', () => {
    const { store, id } = storeWithRun('takeover');
    applyEvent(store, { type: 'start', runId: id, who: who(1) }, 1);
    applyEvent(store, { type: 'epoch', runId: id, worker: who(1).worker, entry: { row: row(1), time: 2 } }, 1);
    const line = applyEvent(store, { type: 'start', runId: id, who: who(2) }, 1);
    expect(line).toBe(`worker gpu1:1 on gpu1 stopped while training run ${id} (yolov8n, seed 0) (its job stalled); retry 1 of 1: gpu2:2 on gpu2 resumes it from its checkpoint`);
    expect(store.getRun(id)).toMatchObject({ status: 'running', worker: 'gpu2:2', retries: 1 });
    // The dead worker's last event arrives late: it no longer holds the run.
    applyEvent(store, { type: 'epoch', runId: id, worker: who(1).worker, entry: { row: row(2, 0.9), time: 9 } }, 1);
    // The new worker's catch-up of epoch 1 (read back from the checkpoint, no time) keeps the logged row.
    applyEvent(store, { type: 'epoch', runId: id, worker: who(2).worker, entry: { row: row(1, 0.7), time: null } }, 1);
    applyEvent(store, { type: 'epoch', runId: id, worker: who(2).worker, entry: { row: row(2), time: 4 } }, 1);
    expect(store.runMetrics(id).map((m) => [m.epoch, m.time, m.precision])).toEqual([[1, 2, 0.5], [2, 4, 0.5]]);
    expect(applyEvent(store, { type: 'start', runId: id, who: who(3) }, 1)).toMatch(/stopped while training .*; failed \(no retries left of 1\)$/);
    expect(store.getRun(id)).toMatchObject({ status: 'failed', epoch: 2, retries: 1 });
    expect(store.getRun(id)!.error).toMatch(/^worker gpu2:2 on gpu2 stopped while training .*; no retries left \(1\)$/);
    store.close();
  });

  it('fails a run whose job a worker refused, with the reason; a released run is queued again', () => {
    const { store, id } = storeWithRun('refused');
    applyEvent(store, { type: 'start', runId: id, who: who(1) }, 2);
    applyEvent(store, { type: 'end', runId: id, worker: who(1).worker, end: { status: 'released' }, artifacts: [] }, 2);
    expect(store.getRun(id)).toMatchObject({ status: 'queued', worker: 'gpu1:1' });
    const error = 'job for run 1 comes from acmix-lab 0.2.0 (queue protocol 2), this worker runs acmix-lab 0.1.0 (queue protocol 1): …';
    expect(applyEvent(store, { type: 'refused', runId: id, worker: who(2).worker, error }, 2)).toBe(`run ${id} (yolov8n, seed 0) failed: ${error}`);
    expect(store.getRun(id)).toMatchObject({ status: 'failed', error });
    store.close();
  });

  it('carries NaN and infinities through the JSON on the stream', () => {
    const event: QueueEvent = { type: 'epoch', runId: 1, worker: 'w', entry: { row: { ...row(1), 'train/box_loss': NaN, 'val/cls_loss': Infinity, 'lr/pg0': -Infinity }, time: 1 } };
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
  });
});
