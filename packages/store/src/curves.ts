// Learning curves grouped by variant: at each epoch, the mean of a results.csv column over the
// variant's seeds with its sample standard deviation, the band the dashboard draws (TensorBoard and
// W&B show runs; grouping seeds is what a placement comparison needs). Runs still training count at
// the epochs they have; a NaN or infinite value is left out of its epoch (n says how many remain);
// a reproduction is a curve of its own (it repeats a seed, as groupByVariant says).
import { variantKey } from './groups.js';
import type { MetricColumn, MetricsRecord } from './metric-columns.js';
import type { RunSummary } from './records.js';
import { mean, sampleVariance } from './stats/welch.js';

export interface VariantCurve {
  sweep: string;
  name: string;
  scale: string | null;
  grid: Record<string, unknown>;
  run_ids: number[];
  seeds: number[];
  /** The run a reproduction's curve repeats; null for a variant's seeds. */
  reproduces: number | null;
  column: MetricColumn;
  /** Per epoch 1..max epoch of the runs: finite values, their mean (null: none) and sample std (null: fewer than 2). */
  points: { epoch: number; n: number; mean: number | null; std: number | null }[];
}

/** One curve per variant of `runs`, in the order of each variant's first run. */
export function curvesByVariant(runs: readonly RunSummary[], epochsOf: (runId: number) => MetricsRecord[], column: MetricColumn): VariantCurve[] {
  const members = new Map<string, RunSummary[]>();
  for (const run of runs) {
    const key = run.reproduces === null ? variantKey(run) : `reproduction ${run.id}`;
    members.set(key, [...(members.get(key) ?? []), run]);
  }
  return [...members.values()].map((rs) => {
    const values = new Map<number, number[]>();
    for (const run of rs) {
      for (const record of epochsOf(run.id)) {
        if (!values.has(record.epoch)) values.set(record.epoch, []);
        if (Number.isFinite(record[column])) values.get(record.epoch)!.push(record[column]);
      }
    }
    const last = Math.max(0, ...values.keys());
    const points = Array.from({ length: last }, (_, i) => {
      const xs = values.get(i + 1) ?? [];
      return { epoch: i + 1, n: xs.length, mean: xs.length ? mean(xs) : null, std: xs.length > 1 ? Math.sqrt(sampleVariance(xs)) : null };
    });
    const { sweep, name, scale, grid, reproduces } = rs[0]!;
    return { sweep, name, scale, grid, run_ids: rs.map((r) => r.id), seeds: rs.map((r) => r.seed), reproduces, column, points };
  });
}
