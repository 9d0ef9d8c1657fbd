// Variants over seeds: a variant is one (sweep, name, scale, grid values); its completed runs differ
// only by seed. Each is compared with its sweep's baseline — the variant with no positions, same
// scale, whose grid values the variant shares — by Welch's t-test on the best-epoch mAPs.
import type { RunSummary } from './records.js';
import { mean, sampleVariance, welchTTest, type WelchTest } from './stats/welch.js';

export const GROUP_METRICS = ['map50', 'map50_95'] as const;
export type GroupMetric = (typeof GROUP_METRICS)[number];

export interface MetricStats {
  mean: number;
  /** Sample standard deviation (n - 1); null below two runs. */
  std: number | null;
}

export interface VariantGroup {
  sweep: string;
  name: string;
  scale: string | null;
  positions: string[] | null;
  /** The module placed; null for the baseline. Variants of a module-list sweep differ by it at the same positions. */
  module: string | null;
  grid: Record<string, unknown>;
  /** Completed runs with at least one validated epoch. */
  n: number;
  run_ids: number[];
  seeds: number[];
  params: number | null;
  gflops: number | null;
  map50: MetricStats;
  map50_95: MetricStats;
  is_baseline: boolean;
  /** The baseline this variant is compared with, if the sweep has one. */
  baseline: { name: string; grid: Record<string, unknown> } | null;
  /** mean(variant) - mean(baseline) of each metric, from one run on each side; null without a baseline. */
  delta: Record<GroupMetric, number> | null;
  /** mean(variant) - mean(baseline) with its 95% interval; null without two runs on each side. */
  vs_baseline: Record<GroupMetric, WelchTest | null> | null;
}

/** Grid values in a canonical order, so {a, b} and {b, a} are the same variant. */
function canonicalGrid(grid: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(grid).sort().map((k) => [k, grid[k]]));
}

/** Runs with the same key are one variant's seeds. */
export function variantKey(run: Pick<RunSummary, 'sweep' | 'name' | 'scale' | 'grid'>): string {
  return JSON.stringify([run.sweep, run.name, run.scale, canonicalGrid(run.grid)]);
}

/** The baseline whose grid values the variant shares, the most specific one first. */
function findBaseline(group: VariantGroup, groups: readonly VariantGroup[]): VariantGroup | undefined {
  const shares = (b: VariantGroup) =>
    Object.entries(b.grid).every(([k, v]) => k in group.grid && JSON.stringify(group.grid[k]) === JSON.stringify(v));
  return groups
    .filter((b) => b.sweep === group.sweep && b.scale === group.scale && b.is_baseline && shares(b))
    .sort((a, b) => Object.keys(b.grid).length - Object.keys(a.grid).length)[0];
}

function stats(values: number[]): MetricStats {
  return { mean: mean(values), std: values.length < 2 ? null : Math.sqrt(sampleVariance(values)) };
}

function summarise(runs: RunSummary[]): VariantGroup {
  const first = runs[0]!;
  return {
    sweep: first.sweep, name: first.name, scale: first.scale, positions: first.positions, module: first.module, grid: first.grid,
    n: runs.length, run_ids: runs.map((r) => r.id), seeds: runs.map((r) => r.seed),
    params: first.params, gflops: first.gflops,
    map50: stats(runs.map((r) => r.map50!)),
    map50_95: stats(runs.map((r) => r.map50_95!)),
    is_baseline: Array.isArray(first.positions) && first.positions.length === 0,
    baseline: null,
    delta: null,
    vs_baseline: null,
  };
}

/**
 * Groups in the order their first run was added. Left out: runs without a validated epoch, and
 * reproductions: one repeats its original's seed, and counting it would weigh that seed twice.
 */
export function groupByVariant(runs: readonly RunSummary[]): VariantGroup[] {
  const members = new Map<string, RunSummary[]>();
  for (const run of runs) {
    if (run.map50 === null || run.map50_95 === null || run.reproduces !== null) continue;
    const key = variantKey(run);
    members.set(key, [...(members.get(key) ?? []), run]);
  }
  const entries = [...members.values()].map((rs) => ({ group: summarise(rs), runs: rs }));
  const groups = entries.map((e) => e.group);
  const runsOf = new Map(entries.map((e) => [e.group, e.runs]));
  const values = (g: VariantGroup, metric: GroupMetric) => runsOf.get(g)!.map((r) => r[metric]!);
  for (const group of groups) {
    const base = group.is_baseline ? undefined : findBaseline(group, groups);
    if (!base) continue;
    group.baseline = { name: base.name, grid: base.grid };
    group.delta = { map50: group.map50.mean - base.map50.mean, map50_95: group.map50_95.mean - base.map50_95.mean };
    group.vs_baseline = Object.fromEntries(
      GROUP_METRICS.map((m) => [m, welchTTest(values(group, m), values(base, m))]),
    ) as Record<GroupMetric, WelchTest | null>;
  }
  return groups;
}
