// `acmix-lab sweep SWEEP.yaml`: the sweep file's runs (variants × grid points × seeds) in the store, trained
// by the runner. Running it again continues the same sweep (found by name): completed and pruned runs are
// kept, interrupted ones resume from their checkpoints. When the file changed under the same name, the
// sweep's spec becomes the new file's, runs for keys it adds are queued, and runs whose keys it no longer
// makes stay in the store as they are (not trained, not deleted).
import fs from 'node:fs';
import path from 'node:path';
import { initBackend } from '@acmix-lab/runtime';
import { DEFAULT_DB_PATH, openStore, type NewRun, type Store, type SweepRecord } from '@acmix-lab/store';
import { resolveTrainConfig, synthDataset } from '@acmix-lab/trainer';
import { modelMaps } from './model-map.js';
import { connectRedis } from './queue.js';
import { runQueue, type RunExecutor, type RunnerObserver, type RunnerOptions, type RunnerResult, type RunnerSink } from './runner.js';
import { strategyFor, type SweepStrategy } from './strategy.js';
import { DEFAULT_WORKERS } from './threads.js';
import { readSweepFile, type Sweep } from './sweep-file.js';
import { enumerateVariants, type Variant } from './variants.js';

export interface SweepOptions extends Omit<RunnerOptions, 'dbFile' | 'observer' | 'workers'> {
  /** Worker processes; default DEFAULT_WORKERS (threads.ts). */
  workers?: number;
  /** Default runs/acmix-lab.db. */
  dbFile?: string;
  /** Paths in the sweep file are relative to it; default the working directory. */
  cwd?: string;
  /** Queue the sweep's failed runs again (after their cause was fixed); by default they stay failed. */
  retryFailed?: boolean;
  /** redis://HOST:PORT: the runs are trained by `acmix-lab worker`s taking them from this queue, not locally. */
  queue?: string;
  observer?: RunnerObserver & { log?(line: string): void };
}

export interface SweepResult extends RunnerResult {
  sweep: SweepRecord;
  /** The runs of the sweep file, in enumeration order. */
  runIds: number[];
}

/** The sweep as stored in `sweeps.spec`, without its model maps: equal specs need no new maps. */
function specOf(sweep: Sweep): Record<string, unknown> {
  const { strategy } = sweep;
  return {
    name: sweep.name, model: sweep.model.file, scales: sweep.scales, modules: sweep.modules.map((m) => [m.name, m.args]),
    positions: Object.fromEntries(sweep.positions.map((p) => [p.name, { kind: p.kind, layer: p.layer, args: p.args }])),
    combine: sweep.combine, grid: Object.fromEntries(sweep.grid.map((a) => [a.key, a.values])), seeds: sweep.seeds,
    data: sweep.data, synth: sweep.synth, train: sweep.train,
    strategy: strategy.kind === 'halving' ? { kind: 'halving', min_epochs: strategy.minEpochs, eta: strategy.eta } : { kind: 'grid' },
  };
}

/** Finds or creates the sweep; a new or changed sweep file gets its spec and model maps stored. */
async function storeSweep(store: Store, sweep: Sweep, options: SweepOptions): Promise<SweepRecord> {
  const record = store.ensureSweep({ name: sweep.name });
  const spec = specOf(sweep);
  const { model_map: _map, model_maps: _maps, ...stored } = (record.spec ?? {}) as Record<string, unknown>;
  const file = path.resolve(sweep.file);
  if (record.file === file && JSON.stringify(stored) === JSON.stringify(spec)) return record;
  if (record.spec !== null) options.observer?.log?.(`sweep ${sweep.name}: the sweep file changed; new runs are added, runs it no longer makes are left as they are`);
  await initBackend(options.backend);
  const maps = modelMaps(sweep);
  return store.updateSweep(record.id, {
    file, spec: { ...spec, model_map: maps[0], model_maps: Object.fromEntries(maps.map((m) => [m.scale, m])) },
  });
}

function newRun(v: Variant, strategy: SweepStrategy): NewRun {
  const config = resolveTrainConfig(v.train);
  return {
    key: v.key, name: v.name, positions: v.positions, module: v.module, grid: v.grid, scale: v.scale, seed: v.seed, model_yaml: v.modelYaml,
    config: config as unknown as Record<string, unknown>, epoch_budget: strategy.firstBudget(config.epochs),
  };
}

/**
 * The sweep's record (created, or its spec and model maps updated when the file changed) and its runs queued
 * (existing keys kept as they are); returns their ids in enumeration order.
 */
export async function queueSweep(store: Store, sweep: Sweep, options: Pick<SweepOptions, 'backend' | 'retryFailed' | 'observer'> = {}): Promise<{ record: SweepRecord; runIds: number[] }> {
  const strategy = strategyFor(sweep.strategy);
  const record = await storeSweep(store, sweep, options);
  const runs = store.addRuns(record.id, enumerateVariants(sweep).map((v) => newRun(v, strategy)));
  if (options.retryFailed) runs.filter((r) => r.status === 'failed').forEach((r) => store.retryRun(r.id));
  const counts = new Map<string, number>();
  for (const r of runs.map((x) => store.getRun(x.id)!)) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  options.observer?.log?.(`sweep ${sweep.name} (${strategy.name}): ${runs.length} runs — ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`);
  return { record, runIds: runs.map((r) => r.id) };
}

export async function runSweep(file: string, options: SweepOptions = {}): Promise<SweepResult> {
  const sweep = readSweepFile(file, { cwd: options.cwd });
  enumerateVariants(sweep); // every error in the file before anything is generated or stored
  if (sweep.synth && !fs.existsSync(sweep.data)) {
    options.observer?.log?.(`Generating the synthetic dataset in ${path.dirname(sweep.data)} ...`);
    await synthDataset({ ...sweep.synth, out: path.dirname(sweep.data) });
  }
  const redis = options.queue ? await connectRedis(options.queue) : null; // an unreachable queue before anything is stored
  const dbFile = options.dbFile ?? DEFAULT_DB_PATH;
  const store = openStore(dbFile);
  try {
    const { record, runIds } = await queueSweep(store, sweep, options);
    const runner = { ...options, dbFile, workers: options.workers ?? DEFAULT_WORKERS };
    let executor: ((sink: RunnerSink) => RunExecutor) | undefined; // default: local worker processes
    if (redis) {
      const { QueueDispatch } = await import('./queue-dispatch.js'); // BullMQ loads for a sweep over a queue only
      executor = (sink) => new QueueDispatch(store, runIds, redis, runner, sink);
    }
    const result = await runQueue(store, runIds, strategyFor(sweep.strategy), runner, executor);
    return { ...result, sweep: record, runIds };
  } finally {
    store.close();
    redis?.disconnect();
  }
}
