// How far each run of a sweep trains. The runner queues every run with `firstBudget` epochs; a run that
// reaches its budget waits (queued, epoch = epoch_budget) and, once nothing else can train, the runner
// asks the strategy to `advance`: promote waiting runs (a higher budget) or stop them (`pruned`, metrics
// kept), all in one transaction. A run always trains with its full train.epochs (LR schedule, close_mosaic)
// and only stops at its budget, so a continued run is the run it would have been trained straight through.
//   grid     every run to train.epochs (a run left waiting at a budget is promoted to it);
//   halving  successive halving (Jamieson & Talwalkar 2016; optuna's SuccessiveHalvingPruner, by rungs):
//            every variant trains min_epochs, the best 1/eta by fitness (mean over its seeds) continue
//            to min_epochs·eta, and so on; the last survivor trains to train.epochs;
//   fixed    each run to its budget and no further (a reproduction of a pruned run stops where it did).
import { RunStateError, writeTransaction, type RunSummary, type Store } from '@acmix-lab/store';
import type { StrategySpec } from './sweep-file.js';

/** A run as the strategy sees it: its progress, the fitness of its best epoch, and its train.epochs. */
export type StrategyRun = Pick<RunSummary, 'id' | 'name' | 'status' | 'epochs' | 'epoch_budget' | 'fitness'> & { target: number };

export interface RungDecision {
  /** The budget the waiting runs had. */
  rung: number;
  /** Variants waiting at the rung, best first: the mean fitness of their runs there. */
  ranking: { name: string; fitness: number; runs: number[] }[];
  promoted: { id: number; budget: number }[];
  pruned: number[];
}

export interface SweepStrategy {
  readonly name: string;
  /** The budget a new run training to `epochs` is queued with. */
  firstBudget(epochs: number): number;
  /** Decides for the runs waiting at their budget (none may be training); null when none waits. */
  advance(store: Store, runs: readonly StrategyRun[]): RungDecision | null;
  /** The epochs all runs will have trained in the end, as far as is known now (for the progress bar). */
  plannedEpochs(runs: readonly StrategyRun[]): number;
}

const FINISHED = new Set(['completed', 'failed', 'pruned']);
const waiting = (runs: readonly StrategyRun[]) => runs.filter((r) => r.status === 'queued' && r.epochs >= r.epoch_budget && r.epoch_budget < r.target);
const finishedOr = (r: StrategyRun, planned: number) => (FINISHED.has(r.status) ? r.epochs : planned);

/** Applies a decision in one transaction: a run that is no longer waiting makes it throw and change nothing. */
function apply(store: Store, decision: RungDecision): RungDecision {
  writeTransaction(store.db, () => {
    for (const id of [...decision.promoted.map((p) => p.id), ...decision.pruned]) {
      const run = store.getRun(id)!;
      if (run.status !== 'queued' || run.epoch < run.epoch_budget) throw new RunStateError(`run ${id} is no longer waiting at its budget`);
    }
    for (const { id, budget } of decision.promoted) store.setEpochBudget(id, budget);
    for (const id of decision.pruned) store.finishRun(id, 'pruned');
  });
  return decision;
}

/** A strategy that treats every waiting run alike: `promote` gives its new budget, or null to prune it. */
function uniform(name: string, promote: (r: StrategyRun) => number | null, planned: (r: StrategyRun) => number): SweepStrategy {
  return {
    name,
    firstBudget: (epochs) => epochs,
    advance(store, runs) {
      const parked = waiting(runs);
      if (parked.length === 0) return null;
      const budgets = parked.map((r) => ({ id: r.id, budget: promote(r) }));
      return apply(store, {
        rung: Math.min(...parked.map((r) => r.epoch_budget)), ranking: [],
        promoted: budgets.filter((b): b is { id: number; budget: number } => b.budget !== null), pruned: budgets.filter((b) => b.budget === null).map((b) => b.id),
      });
    },
    plannedEpochs: (runs) => runs.reduce((a, r) => a + finishedOr(r, planned(r)), 0),
  };
}

const grid = () => uniform('grid', (r) => r.target, (r) => r.target);

export const fixedBudgets = () => uniform('fixed', () => null, (r) => r.epoch_budget);

/** How many of `n` variants continue past a rung: the best 1/eta, at least one. */
export const survivors = (n: number, eta: number) => Math.max(1, Math.floor(n / eta));

/** The rungs of a run training to `epochs`: min_epochs·eta^k below it, then epochs. */
export function rungs(minEpochs: number, eta: number, epochs: number): number[] {
  const out: number[] = [];
  for (let r = minEpochs; r < epochs; r *= eta) out.push(r);
  return [...out, epochs];
}

/** The variants waiting at `rung`, best mean fitness first (a run without a validated epoch counts as -∞; ties: the earlier variant). */
function rank(parked: readonly StrategyRun[]): RungDecision['ranking'] {
  const byName = new Map<string, StrategyRun[]>();
  for (const r of [...parked].sort((a, b) => a.id - b.id)) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  const mean = (rs: StrategyRun[]) => rs.reduce((a, r) => a + (r.fitness ?? -Infinity), 0) / rs.length;
  return [...byName].map(([name, rs]) => ({ name, fitness: mean(rs), runs: rs.map((r) => r.id) }))
    .sort((a, b) => b.fitness - a.fitness || a.runs[0]! - b.runs[0]!);
}

function halving(minEpochs: number, eta: number): SweepStrategy {
  return {
    name: `halving (min_epochs ${minEpochs}, eta ${eta})`,
    firstBudget: (epochs) => Math.min(minEpochs, epochs),
    advance(store, runs) {
      const parked = waiting(runs);
      if (parked.length === 0) return null;
      const rung = Math.min(...parked.map((r) => r.epoch_budget));
      const ranking = rank(parked.filter((r) => r.epoch_budget === rung));
      const keep = survivors(ranking.length, eta);
      const byId = new Map(parked.map((r) => [r.id, r]));
      // The last survivor trains straight to its end; others go to the next rung.
      const next = (r: StrategyRun) => (keep === 1 ? r.target : rungs(minEpochs, eta, r.target).find((b) => b > rung)!);
      return apply(store, {
        rung, ranking,
        promoted: ranking.slice(0, keep).flatMap((v) => v.runs.map((id) => ({ id, budget: next(byId.get(id)!) }))),
        pruned: ranking.slice(keep).flatMap((v) => v.runs),
      });
    },
    plannedEpochs(runs) {
      // Known: finished runs and the current budgets; then the schedule for the variants still in at the lowest rung.
      const active = runs.filter((r) => !FINISHED.has(r.status));
      let planned = runs.reduce((a, r) => a + finishedOr(r, r.epoch_budget), 0);
      if (active.length === 0) return planned;
      let rung = Math.min(...active.map((r) => r.epoch_budget));
      const atRung = active.filter((r) => r.epoch_budget === rung);
      let variants = new Set(atRung.map((r) => r.name)).size;
      const seeds = atRung.length / variants;
      const target = Math.max(...atRung.map((r) => r.target));
      while (rung < target && variants > 0) {
        variants = survivors(variants, eta);
        const next = variants === 1 ? target : rungs(minEpochs, eta, target).find((b) => b > rung)!;
        planned += variants * seeds * (next - rung);
        rung = next;
      }
      return planned;
    },
  };
}

export function strategyFor(spec: StrategySpec): SweepStrategy {
  return spec.kind === 'halving' ? halving(spec.minEpochs, spec.eta) : grid();
}
