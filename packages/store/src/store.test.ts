import { describe, expect, it } from 'vitest';
import { writeTransaction } from './database.js';
import { RunStateError } from './run-state.js';
import { openReader } from './reader.js';
import { openStore, Store } from './store.js';
import { newRun, resultsRow, tempDbPath } from './test-helpers.js';

const alice = { worker: 'host-a:1', host: 'host-a', pid: 1 };
const bob = { worker: 'host-b:2', host: 'host-b', pid: 2 };

function storeWithRuns(keys: string[], overrides = {}) {
  let now = Date.parse('2025-01-01T00:00:00Z');
  const file = tempDbPath();
  const store = openStore(file, { clock: () => now });
  const sweep = store.ensureSweep({ name: 'neck', file: 'experiments/sweeps/neck.yaml', spec: { seeds: [0] } });
  const runs = store.addRuns(sweep.id, keys.map((k) => newRun(k, overrides)));
  return { store, sweep, runs, file, advance: (ms: number) => (now += ms) };
}

describe('sweeps and runs', () => {
  it('finds a sweep by name and adds runs idempotently by key', () => {
    const { store, sweep, runs } = storeWithRuns(['P3', 'P5']);
    expect(store.ensureSweep({ name: 'neck' }).id).toBe(sweep.id);
    expect(store.getSweep('neck')!.spec).toEqual({ seeds: [0] });
    const again = store.addRuns(sweep.id, [newRun('P5'), newRun('P4')]);
    expect(again[0]!.id).toBe(runs[1]!.id);
    expect(store.listRuns().map((r) => r.key)).toEqual(['P3', 'P5', 'P4']);
    const run = store.getRun(runs[0]!.id)!;
    expect(run).toMatchObject({ sweep: 'neck', status: 'queued', epoch: 0, epoch_budget: 3, positions: ['P3'], grid: {}, config: { epochs: 3, imgsz: 64 } });
  });

  it('updates a sweep\'s file and spec when its sweep file changed', () => {
    const { store, sweep } = storeWithRuns(['P3']);
    const updated = store.updateSweep(sweep.id, { file: 'neck-v2.yaml', spec: { seeds: [0, 1] } });
    expect(updated).toMatchObject({ id: sweep.id, name: 'neck', file: 'neck-v2.yaml', spec: { seeds: [0, 1] } });
    expect(store.getSweep('neck')).toEqual(updated);
    expect(() => store.updateSweep(sweep.id + 1, {})).toThrow(`sweep ${sweep.id + 1}: no such sweep`);
  });
});

describe('the run state machine', () => {
  it('claims each queued run once, in order, and none past its budget', () => {
    const { store, runs } = storeWithRuns(['P3', 'P4', 'P5']);
    store.setEpochBudget(runs[2]!.id, 1);
    const a = store.claimRun(alice)!;
    const b = store.claimRun(bob)!;
    expect([a.id, b.id]).toEqual([runs[0]!.id, runs[1]!.id]);
    expect(a).toMatchObject({ status: 'running', worker: alice.worker, host: 'host-a', pid: 1 });
    expect(a.started_at).toBe('2025-01-01T00:00:00.000Z');
    const c = store.claimRun(alice)!;
    store.logEpoch(c.id, { row: resultsRow(1) });
    store.releaseRun(c.id, { worker: alice.worker });
    // At its budget: queued but not claimable until halving raises the budget.
    expect(store.claimRun(bob)).toBeUndefined();
    store.setEpochBudget(c.id, 3);
    expect(store.claimRun(bob)!.id).toBe(c.id);
  });

  it('claims within one sweep, or one given run', () => {
    const { store, runs } = storeWithRuns(['P3', 'P4']);
    const other = store.ensureSweep({ name: 'other' });
    const [elsewhere] = store.addRuns(other.id, [newRun('P3')]);
    expect(store.claimRun(alice, { sweepId: other.id })!.id).toBe(elsewhere!.id);
    expect(store.claimRun(alice, { sweepId: other.id })).toBeUndefined();
    expect(store.claimRun(bob, { runId: runs[1]!.id })!.id).toBe(runs[1]!.id);
    expect(store.claimRun(bob, { runId: runs[1]!.id })).toBeUndefined();
    expect(store.claimRun(alice)!.id).toBe(runs[0]!.id);
  });

  it('checks every transition in the transaction', () => {
    const { store, runs } = storeWithRuns(['P3', 'P4']);
    const [r1, r2] = runs.map((r) => r.id) as [number, number];
    expect(() => store.finishRun(r1, 'completed')).toThrow('run 1: cannot go from queued to completed');
    store.claimRun(alice);
    expect(() => store.finishRun(r1, 'completed', { worker: bob.worker })).toThrow(RunStateError);
    store.finishRun(r1, 'completed', { worker: alice.worker });
    expect(() => store.finishRun(r1, 'failed')).toThrow('cannot go from completed to failed');
    expect(() => store.releaseRun(r1)).toThrow('run 1 is completed, not running');
    expect(() => store.setEpochBudget(r1, 10)).toThrow(RunStateError);
    store.finishRun(r2, 'pruned');
    expect(() => store.retryRun(r2)).toThrow('cannot go from pruned to queued');
    expect(store.getRun(r1)).toMatchObject({ status: 'completed', error: null, ended_at: '2025-01-01T00:00:00.000Z' });
    expect(() => store.logEpoch(999, { row: resultsRow(1) })).toThrow('run 999: no such run');
  });

  it('groups several changes into one transaction (a halving rung decided at once)', () => {
    const { store, runs } = storeWithRuns(['P3', 'P4']);
    const [r1, r2] = runs.map((r) => r.id) as [number, number];
    expect(() => writeTransaction(store.db, () => {
      store.finishRun(r1, 'pruned');
      store.setEpochBudget(r2, 1);
      store.finishRun(r1, 'pruned');
    })).toThrow('cannot go from pruned to pruned');
    expect(store.listRuns().map((r) => [r.status, r.epoch_budget])).toEqual([['queued', 3], ['queued', 3]]);
    writeTransaction(store.db, () => {
      store.finishRun(r1, 'pruned');
      store.setEpochBudget(r2, 2);
    });
    expect(store.listRuns().map((r) => [r.status, r.epoch_budget])).toEqual([['pruned', 3], ['queued', 2]]);
  });

  it('fails a run with its error and retries it on request', () => {
    const { store, runs } = storeWithRuns(['P3']);
    const id = runs[0]!.id;
    store.claimRun(alice);
    store.finishRun(id, 'failed', { error: "data.yaml: 'val' images not found" });
    expect(store.listRuns({ status: 'failed' })[0]).toMatchObject({ id, error: "data.yaml: 'val' images not found" });
    store.retryRun(id);
    expect(store.getRun(id)).toMatchObject({ status: 'queued', error: null, retries: 0, ended_at: null });
  });
});

describe('heartbeats and stale runs', () => {
  it('requeues a run whose worker stopped heartbeating, up to the bound, then fails it', () => {
    const { store, runs, advance } = storeWithRuns(['P3', 'P4']);
    const [r1, r2] = runs.map((r) => r.id) as [number, number];
    store.claimRun(alice);
    store.claimRun(bob);
    advance(20_000);
    expect(store.heartbeat(r2, bob.worker)).toBe(true);
    advance(20_000);
    // alice: 40 s silent; bob: 20 s.
    expect(store.failStaleRuns({ staleAfterMs: 30_000, maxRetries: 1 })).toEqual({ requeued: [r1], failed: [] });
    expect(store.getRun(r1)).toMatchObject({ status: 'queued', retries: 1 });
    expect(store.getRun(r1)!.error).toBe('worker host-a:1 on host-a (pid 1) sent no heartbeat since 2025-01-01T00:00:00.000Z; retry 1 of 1');
    // The presumed-dead worker learns it lost the run and can no longer write it.
    expect(store.heartbeat(r1, alice.worker)).toBe(false);
    expect(() => store.logEpoch(r1, { row: resultsRow(1) }, { worker: alice.worker })).toThrow('run 1 is queued, not running');
    const again = store.claimRun(alice)!;
    expect(again.id).toBe(r1);
    advance(60_000);
    // alice's second silence exhausts r1's one retry; bob's first only requeues r2.
    expect(store.failStaleRuns({ staleAfterMs: 30_000, maxRetries: 1 })).toEqual({ requeued: [r2], failed: [r1] });
    expect(store.getRun(r1)).toMatchObject({ status: 'failed', retries: 1, ended_at: '2025-01-01T00:01:40.000Z' });
    expect(store.getRun(r1)!.error).toMatch(/no retries left \(1\)$/);
    expect(store.getRun(r2)).toMatchObject({ status: 'queued', retries: 1 });
  });

  it('requeues a run whose worker process exited, without waiting for its heartbeat', () => {
    const { store, runs } = storeWithRuns(['P3']);
    store.claimRun(alice);
    expect(store.requeueOrFail(runs[0]!.id, 'worker exited with signal SIGKILL', 2)).toBe('queued');
    store.claimRun(bob);
    expect(store.requeueOrFail(runs[0]!.id, 'worker exited with signal SIGKILL', 2)).toBe('queued');
    store.claimRun(bob);
    expect(store.requeueOrFail(runs[0]!.id, 'worker exited with code 1', 2)).toBe('failed');
    expect(store.getRun(runs[0]!.id)).toMatchObject({ status: 'failed', retries: 2, error: 'worker exited with code 1; no retries left (2)' });
  });
});

function logEpochs(store: Store, runId: number, epochs: number, salt = 0) {
  for (let e = 1; e <= epochs; e++) store.logEpoch(runId, { row: resultsRow(e, salt), time: 10 * e + salt });
}

describe('epochs', () => {
  it('are logged in order, within the budget, by the worker holding the run, and idempotent', () => {
    const { store, runs } = storeWithRuns(['P3']);
    const id = runs[0]!.id;
    expect(() => store.logEpoch(id, { row: resultsRow(1) })).toThrow('run 1 is queued, not running');
    store.claimRun(alice);
    expect(() => store.logEpoch(id, { row: resultsRow(2) })).toThrow('run 1: epoch 2 cannot follow epoch 0');
    expect(() => store.logEpoch(id, { row: resultsRow(1) }, { worker: bob.worker })).toThrow('run 1 is held by worker host-a:1, not host-b:2');
    logEpochs(store, id, 3);
    expect(() => store.logEpoch(id, { row: resultsRow(4) })).toThrow('run 1: epoch 4 is past its budget of 3');
    // A redone epoch (resume, or a message delivered twice) replaces the row: no duplicate.
    store.logEpoch(id, { row: resultsRow(2, 0, { 'val/box_loss': 9 }), time: 20 });
    const metrics = store.runMetrics(id);
    expect(metrics.map((m) => m.epoch)).toEqual([1, 2, 3]);
    expect(metrics[1]!.val_box_loss).toBe(9);
    expect(store.getRun(id)!.epoch).toBe(3);
  });

  it('read back NaN and ±Infinity as they were', () => {
    const { store, runs, file } = storeWithRuns(['P3']);
    const id = runs[0]!.id;
    store.claimRun(alice);
    const row = resultsRow(1, 0, { 'train/box_loss': NaN, 'train/cls_loss': Infinity, 'val/dfl_loss': -Infinity, 'metrics/mAP50(B)': NaN });
    store.logEpoch(id, { row, time: null });
    store.close();
    const reader = openReader(file);
    const [m] = reader.runMetrics(id);
    expect(m!.train_box_loss).toBeNaN();
    expect(m!.map50).toBeNaN();
    expect(m!.train_cls_loss).toBe(Infinity);
    expect(m!.val_dfl_loss).toBe(-Infinity);
    expect(m!.time).toBeNull();
    expect(m!.map50_95).toBe(row['metrics/mAP50-95(B)']);
    // What sqlite3 users see: NULL for NaN, Inf and -Inf as SQLite's own infinities.
    const raw = reader.db.prepare('SELECT typeof(train_box_loss) AS nan, typeof(train_cls_loss) AS inf, fitness FROM metrics').get();
    expect(raw).toEqual({ nan: 'null', inf: 'real', fitness: null });
    // No epoch has a fitness: there is no best epoch and no best mAP rather than a NaN one.
    expect(reader.listRuns()[0]).toMatchObject({ best_epoch: null, map50: null, map50_95: null, epochs: 1 });
  });
});

describe('run summaries', () => {
  it('report the best epoch by fitness (the first on ties) and equal what was logged', () => {
    const { store, runs } = storeWithRuns(['P3', 'P4', 'P5'], { module: 'ACmix' });
    const [r1, r2] = runs.map((r) => r.id) as [number, number];
    store.claimRun(alice);
    const peak = resultsRow(2, 0, { 'metrics/mAP50(B)': 0.9, 'metrics/mAP50-95(B)': 0.6 });
    store.logEpoch(r1, { row: resultsRow(1), time: 11.5 });
    store.logEpoch(r1, { row: peak, time: 23 });
    store.logEpoch(r1, { row: { ...peak, epoch: 3 }, time: 34.25 });
    store.setRunInfo(r1, { backend: 'tensorflow', versions: { tensorflow: '2.21.0' }, params: 3157200, gflops: 8.9, run_dir: '/runs/x' });
    store.finishRun(r1, 'completed');
    store.claimRun(bob);
    const summaries = store.listRuns();
    expect(summaries[0]).toEqual({
      id: r1, sweep: 'neck', name: 'yolov8n+P3', key: 'P3', positions: ['P3'], module: 'ACmix', grid: {}, scale: 'n', seed: 0,
      status: 'completed', epochs: 3, epoch_budget: 3, best_epoch: 2, params: 3157200, gflops: 8.9,
      map50: 0.9, map50_95: 0.6, fitness: 0.1 * 0.9 + 0.9 * 0.6, reproduces: null, duration: 34.25,
      host: 'host-a', worker: alice.worker, backend: 'tensorflow', retries: 0, error: null,
      started_at: '2025-01-01T00:00:00.000Z', ended_at: '2025-01-01T00:00:00.000Z',
    });
    expect(summaries[1]).toMatchObject({ id: r2, status: 'running', epochs: 0, map50: null, duration: 0 });
    expect(store.listRuns({ status: 'queued' }).map((r) => r.key)).toEqual(['P5']);
    expect(store.listRuns({ sweep: 'other' })).toEqual([]);
    expect(store.getRun(r1)!.versions).toEqual({ tensorflow: '2.21.0' });
  });

  it('time runs without a time column from start to end', () => {
    const { store, runs, advance } = storeWithRuns(['P3']);
    store.claimRun(alice);
    store.logEpoch(runs[0]!.id, { row: resultsRow(1) });
    advance(1500);
    store.finishRun(runs[0]!.id, 'completed');
    expect(store.listRuns()[0]!.duration).toBe(1.5);
  });
});

describe('reproductions and artifacts', () => {
  it('queue a copy of a run that points at the original', () => {
    const { store, runs } = storeWithRuns(['P3'], { grid: { 'train.lr0': 0.01 }, seed: 7 });
    const first = store.addReproduction(runs[0]!.id);
    const second = store.addReproduction(runs[0]!.id);
    expect(first).toMatchObject({ key: 'P3/reproduce-1', reproduces: runs[0]!.id, seed: 7, grid: { 'train.lr0': 0.01 }, status: 'queued', model_yaml: 'nc: 1\n' });
    expect(second.key).toBe('P3/reproduce-2');
    expect(store.listRuns().map((r) => r.reproduces)).toEqual([null, runs[0]!.id, runs[0]!.id]);
  });

  it('are recorded once per path', () => {
    const { store, runs } = storeWithRuns(['P3']);
    store.addArtifact(runs[0]!.id, { kind: 'weights/last', path: '/runs/x/weights/last', bytes: 10 });
    store.addArtifact(runs[0]!.id, { kind: 'weights/last', path: '/runs/x/weights/last', bytes: 12 });
    store.addArtifact(runs[0]!.id, { kind: 'results.csv', path: '/runs/x/results.csv' });
    expect(store.runArtifacts(runs[0]!.id).map((a) => [a.kind, a.bytes])).toEqual([['weights/last', 12], ['results.csv', null]]);
  });
});

describe('read-only connections', () => {
  it('see committed writes and cannot write', () => {
    const { store, runs, file } = storeWithRuns(['P3']);
    const reader = openReader(file);
    store.claimRun(alice);
    store.logEpoch(runs[0]!.id, { row: resultsRow(1) });
    expect(reader.runMetrics(runs[0]!.id)).toHaveLength(1);
    expect(() => new Store(reader.db).ensureSweep({ name: 'x' })).toThrow('attempt to write a readonly database');
    reader.close();
    expect(() => openReader(`${file}.missing`)).toThrow(`${file}.missing: no such database`);
  });
});
