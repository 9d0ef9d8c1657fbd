// The sweep runner: trains a set of queued runs in N worker processes and applies the sweep's strategy
// (strategy.ts) when nothing is left to train. Workers write their own rows (worker-run.ts); the runner
// decides who trains what, and watches the workers:
//   - a worker that exits while holding a run (killed, crashed, out of memory) has the run requeued, to
//     resume from its checkpoint, up to `maxRetries` times, then failed with the reason (a crash signal
//     described by the runtime's describeSignalDeath);
//   - a run held by a worker on another host that stops heartbeating is requeued or failed the same way
//     (the store's failStaleRuns);
//   - a run still marked running by a worker of this host that is gone (the whole sweep was killed) is
//     queued again without counting a retry: the sweep's interruption is not the run's fault.
// `signal` (Ctrl-C) stops every worker at its next batch, leaving its run queued to resume.
import os from 'node:os';
import { describeSignalDeath } from '@acmix-lab/runtime';
import { RunStateError, type RunRecord, type RunSummary, type Store } from '@acmix-lab/store';
import type { WorkerMessage } from './messages.js';
import type { RungDecision, StrategyRun, SweepStrategy } from './strategy.js';
import { formatDecision } from './report.js';
import { THREADS_VERSION_KEY, threadsPerWorker } from './threads.js';
import { isWorkerAlive, WorkerProcess } from './worker-pool.js';

export interface RunnerOptions {
  dbFile: string;
  workers: number;
  /** TensorFlow threads per worker; default: an equal share of the machine's. */
  threads?: number;
  /** How often a run whose worker died is queued again before it fails; default 2. */
  maxRetries?: number;
  /** A running run without a heartbeat for this long is presumed dead; default 10 minutes (a batch may be slow). */
  staleAfterMs?: number;
  /** How often workers heartbeat (between batches); default 10 s. */
  heartbeatMs?: number;
  /** `tensorflow` or `cpu` for the workers; default theirs (native when it loads). */
  backend?: string;
  /** Aborting it stops the workers at their next batch; their runs stay queued to resume. */
  signal?: AbortSignal;
  observer?: RunnerObserver;
}

export interface RunnerProgress {
  /** Epochs trained by all runs, with the fraction of the epoch each running run is in. */
  done: number;
  /** Epochs all runs will have trained (strategy.plannedEpochs). */
  planned: number;
  /** `done` when this runner started, and when (ms since the epoch): the rate for an ETA. */
  doneAtStart: number;
  startedAt: number;
}

export interface RunnerObserver {
  /** What a worker (by slot) says about its run: start, each batch, each epoch, done. */
  message?(slot: number, message: WorkerMessage, run: RunRecord): void;
  /** One line for the user: a run resumed, retried, failed; a strategy decision. */
  notice?(line: string): void;
  progress?(p: RunnerProgress): void;
}

export interface RunnerResult {
  interrupted: boolean;
  decisions: RungDecision[];
  runs: RunSummary[];
}

const runLabel = (run: Pick<RunRecord, 'id' | 'name' | 'seed'>) => `run ${run.id} (${run.name}, seed ${run.seed})`;

export async function runQueue(store: Store, runIds: readonly number[], strategy: SweepStrategy, options: RunnerOptions): Promise<RunnerResult> {
  return new Runner(store, runIds, strategy, options).run();
}

class Runner {
  private readonly records: Map<number, RunRecord>;
  private readonly workers = new Map<number, WorkerProcess>();
  private readonly live = new Map<number, number>();
  private readonly decisions: RungDecision[] = [];
  private readonly threads: number;
  private readonly maxRetries: number;
  private wake: () => void = () => {};
  private startupFailure: Error | null = null;
  private doneAtStart = -1;
  private readonly startedAt = Date.now();
  private lastStaleCheck = 0;

  constructor(private readonly store: Store, runIds: readonly number[], private readonly strategy: SweepStrategy, private readonly options: RunnerOptions) {
    this.records = new Map(runIds.map((id) => [id, store.getRun(id)!]));
    this.threads = options.threads ?? threadsPerWorker(options.workers);
    this.maxRetries = options.maxRetries ?? 2;
  }

  private get stopping(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  private notice(line: string): void {
    this.options.observer?.notice?.(line);
  }

  /** The runs as the strategy sees them, fresh from the store. */
  private view(): (RunSummary & StrategyRun)[] {
    const sweeps = new Set([...this.records.values()].map((r) => r.sweep));
    return [...sweeps].flatMap((sweep) => this.store.listRuns({ sweep }))
      .filter((r) => this.records.has(r.id))
      .map((r) => ({ ...r, target: Number(this.records.get(r.id)!.config.epochs) }));
  }

  async run(): Promise<RunnerResult> {
    this.recoverInterrupted();
    const onStop = () => {
      for (const w of this.workers.values()) w.send({ type: 'stop' });
      this.wake();
    };
    this.options.signal?.addEventListener('abort', onStop);
    try {
      while (!this.stopping && this.step()) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2000); // look again: runs held elsewhere, stale heartbeats
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.startupFailure) throw this.startupFailure;
      }
    } finally {
      this.options.signal?.removeEventListener('abort', onStop);
      await this.shutdown();
    }
    return { interrupted: this.stopping, decisions: this.decisions, runs: this.view() };
  }

  /** Hands out work or applies the strategy; false when every run is finished. */
  private step(): boolean {
    this.checkStale();
    const runs = this.view();
    this.reportProgress(runs);
    const busy = new Set([...this.workers.values()].map((w) => w.runId).filter((id) => id !== null));
    const claimable = runs.filter((r) => r.status === 'queued' && r.epochs < r.epoch_budget && !busy.has(r.id));
    this.assign(claimable.map((r) => r.id));
    if ([...this.workers.values()].some((w) => w.runId !== null) || claimable.length > 0) return true;
    if (runs.some((r) => r.status === 'running')) return true; // held by another runner's worker: wait
    let decision: RungDecision | null;
    try {
      decision = this.strategy.advance(this.store, runs);
    } catch (err) {
      if (err instanceof RunStateError) return true; // a run changed meanwhile: decide on fresh state
      throw err;
    }
    if (decision) {
      this.decisions.push(decision);
      this.notice(formatDecision(decision));
      return true;
    }
    for (const w of this.workers.values()) w.send({ type: 'exit' });
    return false;
  }

  /** The threads a run was trained with so far: a resume with other threads would not give the same weights. */
  private threadsFor(runId: number): number {
    const versions = this.store.getRun(runId)!.versions;
    return Number(versions?.[THREADS_VERSION_KEY] ?? this.threads);
  }

  /**
   * Hands runs to idle workers with the runs' thread counts. Workers still starting take the next runs when
   * ready; otherwise a worker is started while there is room, and an idle worker with another thread count
   * makes room by exiting.
   */
  private assign(runIds: number[]): void {
    let starting = [...this.workers.values()].filter((w) => !w.ready && !w.exited).length;
    for (const runId of runIds) {
      const threads = this.threadsFor(runId);
      const idle = [...this.workers.values()].filter((w) => w.ready && w.runId === null && !w.exited);
      const worker = idle.find((w) => w.spec.threads === threads);
      if (worker) {
        worker.runId = runId;
        worker.send({ type: 'run', runId });
      } else if (starting > 0) starting -= 1;
      else if (this.workers.size < this.options.workers) this.spawn(threads);
      else {
        idle[0]?.send({ type: 'exit' });
        return;
      }
    }
  }

  private spawn(threads: number): WorkerProcess {
    const slot = [...Array(this.options.workers).keys()].find((s) => !this.workers.has(s))!;
    const worker = new WorkerProcess(slot, { dbFile: this.options.dbFile, threads, heartbeatMs: this.options.heartbeatMs ?? 10_000, backend: this.options.backend }, {
      message: (w, m) => this.onMessage(w, m),
      exit: (w, code, signal) => this.onExit(w, code, signal),
    });
    this.workers.set(slot, worker);
    return worker;
  }

  private onMessage(worker: WorkerProcess, message: WorkerMessage): void {
    if (message.type === 'ready') {
      this.wake();
      return;
    }
    const run = this.records.get(message.runId)!;
    if (message.type === 'batch') this.live.set(message.runId, message.epoch - 1 + message.batch / message.batches);
    if (message.type === 'epoch') this.live.set(message.runId, message.epoch);
    if (message.type === 'done') {
      worker.runId = null;
      this.live.delete(message.runId);
      if (message.outcome === 'failed') this.notice(`${runLabel(run)} failed: ${message.error}`);
      if (message.outcome === 'lost') this.notice(`${runLabel(run)}: ${message.error ?? 'lost'}`);
      this.wake();
    }
    this.options.observer?.message?.(worker.slot, message, run);
    if (message.type !== 'done') this.reportProgress();
  }

  private onExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker.slot);
    const runId = worker.runId;
    if (!worker.ready && !this.stopping && code !== 0) {
      this.startupFailure = new Error(`a worker process exited while starting (${signal ?? `code ${code}`}): ${worker.lastError() || 'no message'}`);
    }
    if (runId !== null) {
      this.live.delete(runId);
      this.settleDeadWorker(worker, runId, code, signal);
    }
    this.wake();
  }

  /** The run a dead worker held: queued to resume (a retry, unless the sweep is stopping), or failed. */
  private settleDeadWorker(worker: WorkerProcess, runId: number, code: number | null, signal: NodeJS.Signals | null): void {
    const run = this.store.getRun(runId)!;
    if (run.status !== 'running' || run.worker !== worker.id) return; // it finished, or never started
    try {
      if (this.stopping) {
        this.store.releaseRun(runId);
        return;
      }
      const what = `the worker of ${runLabel(run)}`;
      const reason = signal ? describeSignalDeath(signal, what) : `${what} exited with code ${code}${worker.lastError() ? `: ${worker.lastError()}` : ''}`;
      const status = this.store.requeueOrFail(runId, reason, this.maxRetries);
      this.notice(`${reason}; ${status === 'queued' ? `retry ${run.retries + 1} of ${this.maxRetries}` : `failed (no retries left of ${this.maxRetries})`}`);
    } catch (err) {
      if (!(err instanceof RunStateError)) throw err; // changed meanwhile (stale check): nothing to do
    }
  }

  /** Runs left `running` by workers of this host that are gone: the sweep was killed; they resume. */
  private recoverInterrupted(): void {
    for (const id of this.records.keys()) {
      const run = this.store.getRun(id)!;
      if (run.status !== 'running' || run.host !== os.hostname() || run.pid === null || isWorkerAlive(run.pid)) continue;
      try {
        this.store.releaseRun(id);
        this.notice(`${runLabel(run)} was interrupted at epoch ${run.epoch} (worker pid ${run.pid} is gone): it resumes from its last checkpoint`);
      } catch (err) {
        if (!(err instanceof RunStateError)) throw err;
      }
    }
  }

  private checkStale(): void {
    if (Date.now() - this.lastStaleCheck < 30_000) return;
    this.lastStaleCheck = Date.now();
    const { requeued, failed } = this.store.failStaleRuns({ staleAfterMs: this.options.staleAfterMs ?? 600_000, maxRetries: this.maxRetries });
    for (const id of [...requeued, ...failed].filter((i) => this.records.has(i))) {
      const run = this.store.getRun(id)!;
      this.notice(`${runLabel(run)}: ${run.error}`);
    }
  }

  private reportProgress(runs?: StrategyRun[]): void {
    const observer = this.options.observer;
    if (!observer?.progress) return;
    const view = runs ?? this.view();
    const done = view.reduce((a, r) => a + Math.max(r.epochs, this.live.get(r.id) ?? 0), 0);
    if (this.doneAtStart < 0) this.doneAtStart = done;
    observer.progress({ done, planned: Math.max(done, this.strategy.plannedEpochs(view)), doneAtStart: this.doneAtStart, startedAt: this.startedAt });
  }

  /** Waits for every worker to exit: told to exit when idle, to stop (and release its run) when busy. */
  private async shutdown(): Promise<void> {
    const waiting = [...this.workers.values()].filter((w) => !w.exited).map((w) => new Promise<void>((resolve) => {
      w.child.once('exit', () => resolve());
      w.send(w.runId === null ? { type: 'exit' } : { type: 'stop' });
    }));
    await Promise.all(waiting);
  }
}
