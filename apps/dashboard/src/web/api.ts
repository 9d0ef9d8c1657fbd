// The JSON API as the page sees it: the store's types with NaN and ±Infinity arriving as null.
import type {
  ColumnDifference, EpochComparison, GroupMetric, MetricColumn, MetricsRecord, ModelMap, PositionEffect, RunRecord, RunSummary,
  VariantCurve, VariantGroup, WelchTest,
} from '@acmix-lab/store';
import type { ArtifactView } from '../run-files.js';
import type { RunDiff } from '../run-diff.js';

/** The fields K of T that may be NaN or ±Infinity in the store, which arrive as null. */
type NullNumbers<T, K extends keyof T> = Omit<T, K> & { [P in K]: number | null };

export type Run = RunSummary;
export type Epoch = NullNumbers<MetricsRecord, MetricColumn>;
export type Group = Omit<VariantGroup, 'vs_baseline'> & {
  vs_baseline: Record<GroupMetric, NullNumbers<WelchTest, keyof WelchTest> | null> | null;
};
export type Curve = VariantCurve;
type Comparison = Omit<EpochComparison, 'columns'> & { columns: NullNumbers<ColumnDifference, 'max_abs' | 'last'>[] };

export interface Sweep {
  id: number;
  name: string;
  file: string | null;
  created_at: string;
  runs: number;
  by_status: Record<string, number>;
}

export interface Placements {
  sweep: string;
  /** The sweep's scales and modules; `scale` and `module` the ones this answer is for. */
  scales: string[];
  scale: string | null;
  modules: string[];
  module: string | null;
  /** The variants at `scale`. */
  groups: Group[];
  model_map: ModelMap | null;
  model_map_error: string | null;
  position_effects: Record<string, PositionEffect>;
}

export interface RunPage {
  run: RunRecord;
  summary: Run;
  artifacts: ArtifactView[];
  reproduce_command: string;
  original: { summary: Run; comparison: Comparison } | null;
  reproductions: Run[];
}

export type Diff = RunDiff;

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  const body = await response.json() as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${url}: HTTP ${response.status}`);
  return body;
}

export const api = {
  runs: () => getJson<Run[]>('/api/runs'),
  metrics: (id: number) => getJson<Epoch[]>(`/api/runs/${id}/metrics`),
  run: (id: number) => getJson<RunPage>(`/api/runs/${id}`),
  diff: (id: number, against: number) => getJson<Diff>(`/api/runs/${id}/diff?against=${against}`),
  sweeps: () => getJson<Sweep[]>('/api/sweeps'),
  placements: (sweep: string, choice: { scale?: string; module?: string } = {}) =>
    getJson<Placements>(`/api/sweeps/${encodeURIComponent(sweep)}/placements?${new URLSearchParams(choice as Record<string, string>)}`),
  curves: (ids: number[], column: MetricColumn) => getJson<Curve[]>(`/api/curves?runs=${ids.join(',')}&column=${column}`),
};
