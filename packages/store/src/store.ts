// The read-write store: every write is one BEGIN IMMEDIATE transaction that checks the run's state
// before changing it, so worker processes, the sweep runner and a BullMQ coordinator can share one file.
// Training processes write their own rows through these methods only.
import os from 'node:os';
import { openDatabase, writeTransaction, type Db, type OpenOptions } from './database.js';
import { METRIC_COLUMNS, metricValues } from './metric-columns.js';
import { StoreReader } from './reader.js';
import type { EpochEntry, NewRun, NewSweep, RunInfo, RunRecord, SweepRecord, WorkerIdentity } from './records.js';
import { checkTransition, RunStateError, type RunStatus } from './run-state.js';

/** This process as a worker: `host:pid`. */
export function currentWorker(): WorkerIdentity {
  return { worker: `${os.hostname()}:${process.pid}`, host: os.hostname(), pid: process.pid };
}

export interface StoreOptions extends Omit<OpenOptions, 'readonly'> {
  /** Milliseconds since the epoch; tests move it to make heartbeats stale. */
  clock?: () => number;
}

interface RunState {
  id: number;
  status: RunStatus;
  worker: string | null;
  host: string | null;
  pid: number | null;
  epoch: number;
  epoch_budget: number;
  retries: number;
  heartbeat_at: string | null;
}

const RUN_COLUMNS = ['name', 'positions', 'module', 'grid', 'scale', 'seed', 'model_yaml', 'config', 'epoch_budget', 'run_dir', 'reproduces'] as const;

/** A run's descriptive columns as SQL parameters (JSON columns serialised). */
function runColumns(run: NewRun): Record<(typeof RUN_COLUMNS)[number], unknown> {
  return {
    name: run.name, positions: run.positions === null ? null : JSON.stringify(run.positions), module: run.module ?? null, grid: JSON.stringify(run.grid ?? {}),
    scale: run.scale, seed: run.seed, model_yaml: run.model_yaml, config: JSON.stringify(run.config),
    epoch_budget: run.epoch_budget, run_dir: run.run_dir ?? null, reproduces: run.reproduces ?? null,
  };
}
const INSERT_RUN = `INSERT INTO runs (sweep_id, key, status, created_at, ${RUN_COLUMNS.join(', ')})
  VALUES (@sweep_id, @key, @status, @created_at, ${RUN_COLUMNS.map((c) => `@${c}`).join(', ')}) ON CONFLICT (sweep_id, key) DO NOTHING`;
const UPSERT_EPOCH = `INSERT INTO metrics (run_id, epoch, time, ${METRIC_COLUMNS.map((c) => c.column).join(', ')})
  VALUES (${Array(3 + METRIC_COLUMNS.length).fill('?').join(', ')})
  ON CONFLICT (run_id, epoch) DO UPDATE SET time = excluded.time, ${METRIC_COLUMNS.map((c) => `${c.column} = excluded.${c.column}`).join(', ')}`;
// Ultralytics keeps the first epoch of the highest fitness as best.pt (BaseTrainer.validate: strictly greater).
const BEST_EPOCH = 'SELECT epoch FROM metrics WHERE run_id = @id AND fitness IS NOT NULL ORDER BY fitness DESC, epoch LIMIT 1';

/** The read-write store, creating or migrating the file. */
export function openStore(file: string, options: StoreOptions = {}): Store {
  return new Store(openDatabase(file, { busyTimeoutMs: options.busyTimeoutMs }), options);
}

export class Store extends StoreReader {
  private readonly clock: () => number;

  constructor(db: Db, { clock = Date.now }: StoreOptions = {}) {
    super(db);
    this.clock = clock;
  }

  private now(offsetMs = 0): string {
    return new Date(this.clock() + offsetMs).toISOString();
  }

  private state(runId: number): RunState {
    const run = this.db.prepare('SELECT id, status, worker, host, pid, epoch, epoch_budget, retries, heartbeat_at FROM runs WHERE id = ?').get(runId);
    if (!run) throw new RunStateError(`run ${runId}: no such run`);
    return run as RunState;
  }

  /** A worker may write a run only while it holds it: a worker that was presumed dead must stop. */
  private held(runId: number, worker: string | undefined): RunState {
    const run = this.state(runId);
    if (run.status !== 'running') throw new RunStateError(`run ${runId} is ${run.status}, not running`);
    if (worker !== undefined && run.worker !== worker) {
      throw new RunStateError(`run ${runId} is held by worker ${run.worker}, not ${worker}`);
    }
    return run;
  }

  private setStatus(run: RunState, to: RunStatus, fields: Record<string, unknown> = {}): void {
    checkTransition(run.id, run.status, to);
    const sets = Object.keys(fields).map((k) => `${k} = @${k}`);
    this.db.prepare(`UPDATE runs SET ${['status = @status', ...sets].join(', ')} WHERE id = @id`).run({ ...fields, status: to, id: run.id });
  }

  /** Finds the sweep by name, or creates it. */
  ensureSweep({ name, file = null, spec = null }: NewSweep): SweepRecord {
    return writeTransaction(this.db, () => {
      this.db.prepare('INSERT INTO sweeps (name, file, spec, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING')
        .run(name, file, spec === null ? null : JSON.stringify(spec), this.now());
      return this.getSweep(name)!;
    });
  }

  /** Replaces a sweep's file and spec: its sweep file changed (runs are added by addRuns; existing ones stay). */
  updateSweep(id: number, { file = null, spec = null }: Omit<NewSweep, 'name'>): SweepRecord {
    return writeTransaction(this.db, () => {
      const changed = this.db.prepare('UPDATE sweeps SET file = ?, spec = ? WHERE id = ?').run(file, spec === null ? null : JSON.stringify(spec), id).changes;
      if (changed !== 1) throw new RunStateError(`sweep ${id}: no such sweep`);
      return this.listSweeps().find((s) => s.id === id)!;
    });
  }

  private insertRun(sweepId: number, run: NewRun, status: RunStatus): number {
    const info = this.db.prepare(INSERT_RUN).run({ ...runColumns(run), sweep_id: sweepId, key: run.key, status, created_at: this.now() });
    if (info.changes === 1) return Number(info.lastInsertRowid);
    return (this.db.prepare('SELECT id FROM runs WHERE sweep_id = ? AND key = ?').get(sweepId, run.key) as { id: number }).id;
  }

  /** Queues runs; runs whose key the sweep already has are returned as they are (idempotent). */
  addRuns(sweepId: number, runs: readonly NewRun[]): RunRecord[] {
    return writeTransaction(this.db, () => runs.map((run) => this.getRun(this.insertRun(sweepId, run, 'queued'))!));
  }

  /** A new queued run repeating `originalId` (its model yaml, config, seed and budget), `reproduces` set. */
  addReproduction(originalId: number): RunRecord {
    return writeTransaction(this.db, () => {
      const original = this.getRun(originalId);
      if (!original) throw new RunStateError(`run ${originalId}: no such run`);
      const { n } = this.db.prepare('SELECT COUNT(*) AS n FROM runs WHERE reproduces = ?').get(originalId) as { n: number };
      const id = this.insertRun(original.sweep_id, { ...original, key: `${original.key}/reproduce-${n + 1}`, run_dir: null, reproduces: originalId }, 'queued');
      return this.getRun(id)!;
    });
  }

  /**
   * Hands the next queued run with epochs left in its budget to `who` — of one sweep, or one given
   * run (a queue's coordinator starting the job a remote worker took) — or undefined when there is
   * none. The select and the update are one immediate transaction: no run goes to two workers.
   */
  claimRun(who: WorkerIdentity, { sweepId, runId }: { sweepId?: number; runId?: number } = {}): RunRecord | undefined {
    return writeTransaction(this.db, () => {
      const next = this.db.prepare(`SELECT id FROM runs WHERE status = 'queued' AND epoch < epoch_budget
        AND (@sweepId IS NULL OR sweep_id = @sweepId) AND (@runId IS NULL OR id = @runId) ORDER BY id LIMIT 1`)
        .get({ sweepId: sweepId ?? null, runId: runId ?? null }) as { id: number } | undefined;
      if (!next) return undefined;
      const now = this.now();
      this.db.prepare(`UPDATE runs SET status = 'running', worker = ?, host = ?, pid = ?, heartbeat_at = ?,
        started_at = COALESCE(started_at, ?), ended_at = NULL WHERE id = ?`).run(who.worker, who.host, who.pid, now, now, next.id);
      return this.getRun(next.id)!;
    });
  }

  /** Records that `worker` is alive; false when the run is no longer its own (requeued as stale, or finished). */
  heartbeat(runId: number, worker: string): boolean {
    return writeTransaction(this.db, () =>
      this.db.prepare(`UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running' AND worker = ?`).run(this.now(), runId, worker).changes === 1);
  }

  setRunInfo(runId: number, info: RunInfo): void {
    const fields = { ...info, versions: info.versions === undefined ? undefined : JSON.stringify(info.versions) };
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return;
    writeTransaction(this.db, () => {
      this.state(runId);
      this.db.prepare(`UPDATE runs SET ${entries.map(([k]) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...Object.fromEntries(entries), id: runId });
    });
  }

  private writeEpoch(runId: number, { row, time = null }: EpochEntry): void {
    this.db.prepare(UPSERT_EPOCH).run(runId, row.epoch, time, ...metricValues(row));
  }

  /**
   * Stores one epoch and the run's progress in one transaction, so a kill leaves either both or
   * neither. Idempotent on (run, epoch): logging an epoch again replaces it. Epochs come in order
   * (at most one past the last) and stay within the run's budget.
   */
  logEpoch(runId: number, entry: EpochEntry, { worker }: { worker?: string } = {}): void {
    writeTransaction(this.db, () => {
      const run = this.held(runId, worker);
      const { epoch } = entry.row;
      if (!Number.isInteger(epoch) || epoch < 1 || epoch > run.epoch + 1) {
        throw new RunStateError(`run ${runId}: epoch ${epoch} cannot follow epoch ${run.epoch}`);
      }
      if (epoch > run.epoch_budget) throw new RunStateError(`run ${runId}: epoch ${epoch} is past its budget of ${run.epoch_budget}`);
      this.writeEpoch(runId, entry);
      this.db.prepare(`UPDATE runs SET epoch = MAX(epoch, @epoch), best_epoch = (${BEST_EPOCH}), heartbeat_at = @now WHERE id = @id`)
        .run({ epoch, now: this.now(), id: runId });
    });
  }

  /** running → queued: the run reached its epoch budget (a halving rung) or was stopped to resume later. */
  releaseRun(runId: number, { worker }: { worker?: string } = {}): void {
    writeTransaction(this.db, () => this.setStatus(this.held(runId, worker), 'queued'));
  }

  /** running (or queued) → completed | failed | pruned, with the error text of a failure. */
  finishRun(runId: number, status: 'completed' | 'failed' | 'pruned', { error = null, worker }: { error?: string | null; worker?: string } = {}): void {
    writeTransaction(this.db, () => {
      const run = this.state(runId);
      if (run.status === 'running') this.held(runId, worker);
      this.setStatus(run, status, { error, ended_at: this.now() });
    });
  }

  /** Halving promotes a run waiting at its rung by raising the epoch it may train to. */
  setEpochBudget(runId: number, epochBudget: number): void {
    writeTransaction(this.db, () => {
      const run = this.state(runId);
      if (run.status !== 'queued') throw new RunStateError(`run ${runId} is ${run.status}: only a queued run's budget can change`);
      if (!Number.isInteger(epochBudget) || epochBudget < run.epoch) {
        throw new RunStateError(`run ${runId}: budget ${epochBudget} is below the ${run.epoch} epochs it has`);
      }
      this.db.prepare('UPDATE runs SET epoch_budget = ? WHERE id = ?').run(epochBudget, runId);
    });
  }

  private requeueOrFailIn(run: RunState, reason: string, maxRetries: number): RunStatus {
    if (run.retries < maxRetries) {
      this.setStatus(run, 'queued', { retries: run.retries + 1, error: `${reason}; retry ${run.retries + 1} of ${maxRetries}` });
      return 'queued';
    }
    this.setStatus(run, 'failed', { error: `${reason}; no retries left (${maxRetries})`, ended_at: this.now() });
    return 'failed';
  }

  /** A running run whose worker died: queued again (resuming from its checkpoint) up to `maxRetries` times, then failed. */
  requeueOrFail(runId: number, reason: string, maxRetries: number): RunStatus {
    return writeTransaction(this.db, () => this.requeueOrFailIn(this.held(runId, undefined), reason, maxRetries));
  }

  /** optuna's fail_stale_trials: running runs with no heartbeat for `staleAfterMs` are requeued or failed. */
  failStaleRuns({ staleAfterMs, maxRetries }: { staleAfterMs: number; maxRetries: number }): { requeued: number[]; failed: number[] } {
    return writeTransaction(this.db, () => {
      const stale = this.db.prepare(`SELECT id, status, worker, host, pid, epoch, epoch_budget, retries, heartbeat_at FROM runs
        WHERE status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < ?) ORDER BY id`).all(this.now(-staleAfterMs)) as RunState[];
      const result = { requeued: [] as number[], failed: [] as number[] };
      for (const run of stale) {
        const reason = `worker ${run.worker} on ${run.host} (pid ${run.pid}) sent no heartbeat since ${run.heartbeat_at}`;
        (this.requeueOrFailIn(run, reason, maxRetries) === 'queued' ? result.requeued : result.failed).push(run.id);
      }
      return result;
    });
  }

  /** failed → queued with its retries reset, for a sweep run again after the cause was fixed. */
  retryRun(runId: number): void {
    writeTransaction(this.db, () => this.setStatus(this.state(runId), 'queued', { retries: 0, error: null, ended_at: null }));
  }

  addArtifact(runId: number, { kind, path, bytes = null }: { kind: string; path: string; bytes?: number | null }): void {
    writeTransaction(this.db, () => {
      this.state(runId);
      this.db.prepare(`INSERT INTO artifacts (run_id, kind, path, bytes, created_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (run_id, path) DO UPDATE SET kind = excluded.kind, bytes = excluded.bytes, created_at = excluded.created_at`)
        .run(runId, kind, path, bytes, this.now());
    });
  }

  /**
   * A run trained elsewhere (an Ultralytics run folder), stored as completed with all its epochs in
   * one transaction. Importing the same key again replaces its description and epochs.
   */
  importRun(sweepId: number, run: NewRun & RunInfo & { ended_at?: string | null }, epochs: readonly EpochEntry[]): RunRecord {
    epochs.forEach(({ row }, i) => {
      if (row.epoch !== i + 1) throw new RunStateError(`run ${run.key}: epoch ${row.epoch} where epoch ${i + 1} belongs`);
    });
    const stored = { ...run, epoch_budget: Math.max(run.epoch_budget, epochs.length) };
    return writeTransaction(this.db, () => {
      const id = this.insertRun(sweepId, stored, 'completed');
      this.db.prepare('DELETE FROM metrics WHERE run_id = ?').run(id);
      for (const entry of epochs) this.writeEpoch(id, entry);
      this.db.prepare(`UPDATE runs SET ${RUN_COLUMNS.map((c) => `${c} = @${c}`).join(', ')}, status = 'completed', epoch = @epoch,
        best_epoch = (${BEST_EPOCH}), backend = @backend, versions = @versions, params = @params, gflops = @gflops,
        ended_at = @ended_at WHERE id = @id`).run({
        ...runColumns(stored), id, epoch: epochs.length, backend: run.backend ?? null,
        versions: run.versions ? JSON.stringify(run.versions) : null, params: run.params ?? null, gflops: run.gflops ?? null,
        ended_at: run.ended_at ?? null,
      });
      return this.getRun(id)!;
    });
  }
}
