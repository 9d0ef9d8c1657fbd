// What `acmix-lab runs`, `sweep` and `reproduce` print: runs, variants over seeds against the baseline,
// a sweep's outcome, a reproduction's differences. mAPs are the best epoch's by fitness, as Ultralytics'
// best.pt; NaN prints as `nan`, as in results.csv.
import type { RunSummary, VariantGroup, WelchTest } from '@acmix-lab/store';
import type { Reproduction } from './reproduce.js';
import type { RungDecision } from './strategy.js';
import { formatTable } from './table.js';
import { gridLabels } from './variants.js';

/** `run 3 (yolov8n+P5, seed 0)`: how notices and errors name a run. */
export const runLabel = (run: Pick<RunSummary, 'id' | 'name' | 'seed'>) => `run ${run.id} (${run.name}, seed ${run.seed})`;

/** A run whose worker died, requeued or failed: `REASON; retry 2 of 3`, `REASON; failed (no retries left of 3)`. */
export function formatRetry(reason: string, status: string, retry: number, maxRetries: number): string {
  return `${reason}; ${status === 'queued' ? `retry ${retry} of ${maxRetries}` : `failed (no retries left of ${maxRetries})`}`;
}

const num = (x: number | null, digits = 4) => (x === null ? '-' : Number.isNaN(x) ? 'nan' : x.toFixed(digits));
const signed = (x: number, digits = 4) => (x > 0 ? '+' : '') + num(x, digits);
const count = (x: number | null) => (x === null ? '-' : x.toLocaleString('en-US'));
const positions = (p: string[] | null) => (p === null ? '?' : p.length === 0 ? '(baseline)' : p.join(' '));

export function formatRuns(runs: readonly RunSummary[]): string {
  const header = ['id', 'sweep', 'variant', 'positions', 'grid', 'scale', 'seed', 'status', 'epochs', 'params', 'GFLOPs', 'mAP50', 'mAP50-95', 'note'];
  const rows = runs.map((r) => [
    String(r.id), r.sweep, r.name, positions(r.positions), gridLabels(r.grid).join(' ') || '-', r.scale ?? '-', String(r.seed), r.status,
    `${r.epochs}/${r.epoch_budget}`, count(r.params), r.gflops === null ? '-' : r.gflops.toFixed(3), num(r.map50), num(r.map50_95),
    [r.reproduces === null ? '' : `reproduces ${r.reproduces}`, r.status === 'failed' ? String(r.error) : ''].filter(Boolean).join('; '),
  ]);
  return formatTable(header, rows, new Set([0, 6, 8, 9, 10, 11, 12]));
}

const meanStd = (s: VariantGroup['map50']) => `${num(s.mean)} ± ${s.std === null ? '-' : num(s.std)}`;
const versus = (t: WelchTest | null | undefined) => (t ? `${signed(t.diff)} [${signed(t.ci_low)}, ${signed(t.ci_high)}]` : '-');
const pValue = (t: WelchTest | null | undefined) => (t ? (Number.isNaN(t.p) ? 'nan' : t.p < 0.001 ? '<0.001' : t.p.toFixed(3)) : '-');

/** Variants over seeds: mean ± std (n − 1), and mAP50-95 − the baseline's with its 95% interval and p (Welch's t). */
export function formatGroups(groups: readonly VariantGroup[]): string {
  const header = ['variant', 'module', 'scale', 'n', 'params', 'GFLOPs', 'mAP50', 'mAP50-95', 'Δ mAP50 vs baseline [95% CI]', 'p', 'Δ mAP50-95 vs baseline [95% CI]', 'p'];
  const rows = groups.map((g) => [
    g.name, g.module ?? (g.is_baseline ? '-' : '?'), g.scale ?? '-', String(g.n),
    count(g.params), g.gflops === null ? '-' : g.gflops.toFixed(3), meanStd(g.map50), meanStd(g.map50_95),
    g.is_baseline ? '(baseline)' : versus(g.vs_baseline?.map50), pValue(g.vs_baseline?.map50),
    g.is_baseline ? '(baseline)' : versus(g.vs_baseline?.map50_95), pValue(g.vs_baseline?.map50_95),
  ]);
  const table = formatTable(header, rows, new Set([3, 4, 5]));
  return `${table}\nΔ: the variant's mean minus its baseline's, 95% interval and two-sided p of Welch's t-test over seeds ('-': fewer than two runs on a side).`;
}

/** The sweep's outcome in a few lines: runs by status, and each failed run with its error. */
export function formatOutcome(runs: readonly RunSummary[]): string {
  const by = new Map<string, number>();
  for (const r of runs) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  const lines = [`${runs.length} runs: ${[...by].map(([status, n]) => `${n} ${status}`).join(', ')}`];
  for (const r of runs.filter((x) => x.status === 'failed')) lines.push(`  ${runLabel(r)} failed: ${r.error}`);
  return lines.join('\n');
}

export function formatReproduction(r: Reproduction): string {
  const header = ['metric', `run ${r.original.id}`, `run ${r.copy.id}`, 'difference', 'max |difference| over epochs'];
  const rows = r.metrics.map((m) => [m.metric, String(m.original), String(m.copy), String(m.difference), String(m.maxAbsDifference)]);
  return formatTable(header, rows, new Set([1, 2, 3, 4]));
}

/** A strategy's decision in one line: which variants continue to what budget, which were pruned, by fitness. */
export function formatDecision(d: RungDecision): string {
  if (d.ranking.length === 0) {
    return d.pruned.length ? `${d.pruned.length} runs stop at their budget` : `${d.promoted.length} runs continue to train.epochs`;
  }
  const survivors = new Set(d.promoted.map((p) => p.id));
  const fmt = (v: RungDecision['ranking'][number]) => `${v.name} ${Number.isFinite(v.fitness) ? v.fitness.toFixed(4) : '-'}`;
  const kept = d.ranking.filter((v) => v.runs.some((id) => survivors.has(id)));
  const budget = Math.max(...d.promoted.map((p) => p.budget));
  const tied = d.ranking.length > 1 && d.ranking.every((v) => v.fitness === d.ranking[0]!.fitness)
    ? ` (all tied: the cut kept the first in file order; a larger min_epochs ranks on real differences)` : '';
  return `halving at ${d.rung} epochs (fitness, mean over seeds): ${kept.map(fmt).join(', ')} continue to ${budget} epochs; `
    + `pruned: ${d.ranking.filter((v) => !kept.includes(v)).map(fmt).join(', ') || 'none'}${tied}`;
}
