// `acmix-lab reproduce RUN_ID`: the stored run trained again from its stored model yaml, training config and
// seed, as a new run with `reproduces` set, on the backend and with the TensorFlow thread count it was
// trained with (the intra-op count changes float rounding: threads.ts), to the epoch it reached; then every
// metric of every epoch compared. On the same backend with deterministic ops the difference is zero.
import { METRIC_COLUMNS, RunStateError, openStore, type MetricsRecord, type RunRecord } from '@acmix-lab/store';
import { runQueue, type RunnerOptions } from './runner.js';
import { fixedBudgets } from './strategy.js';
import { THREADS_VERSION_KEY } from './threads.js';

export interface MetricDifference {
  /** The results.csv column. */
  metric: string;
  /** At the last epoch both runs have. */
  original: number;
  copy: number;
  /** copy − original (0 when both are NaN). */
  difference: number;
  /** The largest |difference| over all epochs. */
  maxAbsDifference: number;
}

export interface Reproduction {
  original: RunRecord;
  copy: RunRecord;
  metrics: MetricDifference[];
  /** Every metric of every epoch equal, and as many epochs. */
  identical: boolean;
  interrupted: boolean;
}

const difference = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b) ? 0 : b - a);

function compareMetrics(original: MetricsRecord[], copy: MetricsRecord[]): MetricDifference[] {
  const epochs = Math.min(original.length, copy.length);
  return METRIC_COLUMNS.map(({ column, csv }) => {
    const diffs = Array.from({ length: epochs }, (_, i) => difference(original[i]![column], copy[i]![column]));
    const last = epochs - 1;
    return {
      metric: csv, original: original[last]?.[column] ?? NaN, copy: copy[last]?.[column] ?? NaN, difference: diffs[last] ?? NaN,
      maxAbsDifference: diffs.reduce((m, d) => Math.max(m, Number.isNaN(d) ? Infinity : Math.abs(d)), 0),
    };
  });
}

export async function reproduceRun(dbFile: string, runId: number, options: Omit<RunnerOptions, 'dbFile' | 'workers' | 'threads' | 'backend'> = {}): Promise<Reproduction> {
  const store = openStore(dbFile);
  try {
    const original = store.getRun(runId);
    if (!original) throw new RunStateError(`run ${runId}: no such run in ${dbFile}`);
    if (original.status !== 'completed' && original.status !== 'pruned') {
      throw new RunStateError(`run ${runId} is ${original.status}: only a completed or pruned run can be reproduced`);
    }
    if (original.model_yaml === null || original.backend === 'pytorch') {
      throw new RunStateError(`run ${runId} was imported (${original.backend ?? 'no model yaml'}): it has no model yaml to train here`);
    }
    const copy = store.addReproduction(runId);
    const threads = original.versions?.[THREADS_VERSION_KEY];
    const { interrupted } = await runQueue(store, [copy.id], fixedBudgets(), {
      ...options, dbFile, workers: 1, threads: threads === undefined ? undefined : Number(threads), backend: original.backend ?? undefined,
    });
    const done = store.getRun(copy.id)!;
    const [a, b] = [store.runMetrics(runId), store.runMetrics(copy.id)];
    const metrics = compareMetrics(a, b);
    return { original, copy: done, metrics, identical: a.length === b.length && metrics.every((m) => m.maxAbsDifference === 0), interrupted };
  } finally {
    store.close();
  }
}
