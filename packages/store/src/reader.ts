// Queries shared by the CLI (`acmix-lab runs`) and the dashboard, over a read-only or read-write connection.
import { openDatabase, type Db, type OpenOptions } from './database.js';
import { toMetricsRecord, type MetricColumn, type MetricsRecord } from './metric-columns.js';
import { curvesByVariant, type VariantCurve } from './curves.js';
import { compareEpochs, type EpochComparison } from './run-compare.js';
import {
  toRunRecord, toRunSummary, toSweepRecord, type ArtifactRecord, type RunRecord, type RunSummary, type SweepRecord,
} from './records.js';
import type { RunStatus } from './run-state.js';
import { groupByVariant, type VariantGroup } from './groups.js';

export interface RunFilter {
  sweep?: string;
  status?: RunStatus;
}


// The best epoch's mAPs and the last epoch's time are single-row lookups on metrics' primary key,
// so the summary of thousands of runs stays one indexed pass.
const SUMMARY_SQL = `
  SELECT r.id, s.name AS sweep, r.name, r.key, r.positions, r.module, r.grid, r.scale, r.seed, r.status,
         r.epoch AS epochs, r.epoch_budget, r.best_epoch, r.params, r.gflops,
         best.map50, best.map50_95, best.fitness, r.reproduces,
         COALESCE(last.time, ROUND((julianday(COALESCE(r.ended_at, r.heartbeat_at)) - julianday(r.started_at)) * 86400, 3)) AS duration,
         r.host, r.worker, r.backend, r.retries, r.error, r.started_at, r.ended_at
  FROM runs r
  JOIN sweeps s ON s.id = r.sweep_id
  LEFT JOIN metrics best ON best.run_id = r.id AND best.epoch = r.best_epoch
  LEFT JOIN metrics last ON last.run_id = r.id AND last.epoch = r.epoch
  WHERE (@sweep IS NULL OR s.name = @sweep) AND (@status IS NULL OR r.status = @status)
  ORDER BY r.id`;

/** A read-only store (the dashboard, `acmix-lab runs`): no migration, never blocks the writers. */
export function openReader(file: string, options: Omit<OpenOptions, 'readonly'> = {}): StoreReader {
  return new StoreReader(openDatabase(file, { ...options, readonly: true }));
}

export class StoreReader {
  constructor(readonly db: Db) {}

  close(): void {
    this.db.close();
  }

  listSweeps(): SweepRecord[] {
    return this.db.prepare('SELECT * FROM sweeps ORDER BY id').all().map((r) => toSweepRecord(r as Record<string, unknown>));
  }

  getSweep(name: string): SweepRecord | undefined {
    const raw = this.db.prepare('SELECT * FROM sweeps WHERE name = ?').get(name);
    return raw ? toSweepRecord(raw as Record<string, unknown>) : undefined;
  }

  getRun(id: number): RunRecord | undefined {
    const raw = this.db.prepare('SELECT runs.*, sweeps.name AS sweep FROM runs JOIN sweeps ON sweeps.id = runs.sweep_id WHERE runs.id = ?').get(id);
    return raw ? toRunRecord(raw as Record<string, unknown>) : undefined;
  }

  /** The objects `acmix-lab runs --json` prints, in id order. */
  listRuns({ sweep, status }: RunFilter = {}): RunSummary[] {
    const rows = this.db.prepare(SUMMARY_SQL).all({ sweep: sweep ?? null, status: status ?? null });
    return rows.map((r) => toRunSummary(r as Record<string, unknown>));
  }

  /** Every logged epoch of a run, in order; NaN metrics read back as NaN. */
  runMetrics(runId: number): MetricsRecord[] {
    const rows = this.db.prepare('SELECT * FROM metrics WHERE run_id = ? ORDER BY epoch').all(runId);
    return rows.map((r) => toMetricsRecord(r as Record<string, number | null>));
  }

  runArtifacts(runId: number): ArtifactRecord[] {
    return this.db.prepare('SELECT * FROM artifacts WHERE run_id = ? ORDER BY id').all(runId) as ArtifactRecord[];
  }

  /** Completed runs grouped by variant over seeds, each compared with its sweep's baseline (Welch's t). */
  groupRuns(filter: { sweep?: string } = {}): VariantGroup[] {
    return groupByVariant(this.listRuns({ ...filter, status: 'completed' }));
  }

  /** A results.csv column of the given runs (any status), grouped by variant: mean and std over seeds per epoch. */
  variantCurves(runIds: readonly number[], column: MetricColumn): VariantCurve[] {
    const wanted = new Set(runIds);
    return curvesByVariant(this.listRuns().filter((r) => wanted.has(r.id)), (id) => this.runMetrics(id), column);
  }

  /** Run against other, epoch by epoch (a reproduction against its original). */
  compareRuns(runId: number, otherId: number): EpochComparison {
    return compareEpochs(this.runMetrics(runId), this.runMetrics(otherId));
  }
}
