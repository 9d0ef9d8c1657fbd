// The sweep runner: trains a set of queued runs and applies the sweep's strategy (strategy.ts) when nothing
// is left to train. What trains them is its executor: worker processes on this machine (local-workers.ts),
// or workers anywhere taking jobs from a queue on Redis (queue-dispatch.ts). The runner decides what is
// trainable, shows progress and notices, requeues or fails runs held by workers that stopped heartbeating
// (the store's failStaleRuns, for executors whose workers heartbeat into the store), and asks the strategy
// to decide when every run waits. `signal` (Ctrl-C) stops it: local workers stop at their next batch and
// leave their runs queued to resume; a queue's workers go on, and the same sweep re-attaches later.
import { RunStateError, type RunRecord, type RunSummary, type Store } from '@acmix-lab/store';
import type { WorkerMessage } from './messages.js';
import type { RungDecision, StrategyRun, SweepStrategy } from './strategy.js';
import { LocalWorkers } from './local-workers.js';
import { formatDecision, runLabel } from './report.js';

export interface RunnerOptions {
  dbFile: string;
  /** Local worker processes. */
  workers: number;
  /** TensorFlow threads per local worker; default: an equal share of the machine's. */
  threads?: number;
  /** How often a run whose worker died is resumed before it fails; default 2. */
  maxRetries?: number;
  /** A running run without a heartbeat for this long is presumed dead; default 10 minutes (a batch may be slow). */
  staleAfterMs?: number;
  /** How often workers heartbeat (between batches); default 10 s. */
  heartbeatMs?: number;
  /** `tensorflow` or `cpu` for the local workers; default theirs (native when it loads). */
  backend?: string;
  /** Aborting it stops the runner (see above). */
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

/** What an executor tells the runner. */
export interface RunnerSink {
  /** A worker's message about a run (progress; `done` ends its turn). */
  message(slot: number, message: WorkerMessage): void;
  notice(line: string): void;
  /** Look again now: something changed. */
  wake(): void;
  /** The run has no live progress any more (its worker died). */
  forget(runId: number): void;
  /** The sweep cannot go on (its workers cannot start): the runner throws this. */
  fail(error: Error): void;
  stopping(): boolean;
}

/** What trains the runs: local-workers.ts or queue-dispatch.ts. */
export interface RunExecutor {
  /** Whether its workers heartbeat into the store (then the runner requeues runs whose heartbeat is stale). */
  readonly checksStale: boolean;
  /** Once, before the first step. */
  start(): Promise<void>;
  /** Each step: takes in what happened, then hands these claimable runs (queued with epochs left) to workers. */
  dispatch(runIds: readonly number[]): Promise<void>;
  /** Runs handed to a worker that has not said it is done with them. */
  busy(): Set<number>;
  /** Ctrl-C. */
  stop(): void;
  /** The runner is done (finished or stopped): let go of workers and connections. */
  close(): Promise<void>;
}

/** Trains runs `runIds` with `executor` (default: local worker processes) and the strategy. */
export async function runQueue(store: Store, runIds: readonly number[], strategy: SweepStrategy, options: RunnerOptions,
  executor: (sink: RunnerSink) => RunExecutor = (sink) => new LocalWorkers(store, runIds, options, sink)): Promise<RunnerResult> {
  return new Runner(store, runIds, strategy, options, executor).run();
}

class Runner implements RunnerSink {
  private readonly records: Map<number, RunRecord>;
  private readonly executor: RunExecutor;
  private readonly live = new Map<number, number>();
  private readonly decisions: RungDecision[] = [];
  private wakeUp: () => void = () => {};
  private failure: Error | null = null;
  private doneAtStart = -1;
  private readonly startedAt = Date.now();
  private lastStaleCheck = 0;

  constructor(private readonly store: Store, runIds: readonly number[], private readonly strategy: SweepStrategy, private readonly options: RunnerOptions,
    executor: (sink: RunnerSink) => RunExecutor) {
    this.records = new Map(runIds.map((id) => [id, store.getRun(id)!]));
    this.executor = executor(this);
  }

  stopping(): boolean {
    return this.options.signal?.aborted ?? false;
  }

  notice(line: string): void {
    this.options.observer?.notice?.(line);
  }

  wake(): void {
    this.wakeUp();
  }

  forget(runId: number): void {
    this.live.delete(runId);
  }

  fail(error: Error): void {
    this.failure = error;
  }

  /** The runs as the strategy sees them, fresh from the store. */
  private view(): (RunSummary & StrategyRun)[] {
    const sweeps = new Set([...this.records.values()].map((r) => r.sweep));
    return [...sweeps].flatMap((sweep) => this.store.listRuns({ sweep }))
      .filter((r) => this.records.has(r.id))
      .map((r) => ({ ...r, target: Number(this.records.get(r.id)!.config.epochs) }));
  }

  async run(): Promise<RunnerResult> {
    const onStop = () => {
      this.executor.stop();
      this.wake();
    };
    this.options.signal?.addEventListener('abort', onStop);
    try {
      await this.executor.start();
      while (!this.stopping() && await this.step()) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000); // look again: runs held elsewhere, stale heartbeats, queue events
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.failure) throw this.failure;
      }
    } finally {
      this.options.signal?.removeEventListener('abort', onStop);
      await this.executor.close();
    }
    return { interrupted: this.stopping(), decisions: this.decisions, runs: this.view() };
  }

  /** Hands out work or applies the strategy; false when every run is finished. */
  private async step(): Promise<boolean> {
    if (this.executor.checksStale) this.checkStale();
    const busy = this.executor.busy();
    const trainable = (runs: StrategyRun[]) => runs.filter((r) => r.status === 'queued' && r.epochs < r.epoch_budget && !busy.has(r.id)).map((r) => r.id);
    await this.executor.dispatch(trainable(this.view()));
    const runs = this.view();
    this.reportProgress(runs);
    if (this.executor.busy().size > 0 || trainable(runs).length > 0) return true;
    if (runs.some((r) => r.status === 'running')) return true; // held by a worker elsewhere: wait
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
    return false;
  }

  message(slot: number, message: WorkerMessage): void {
    if (message.type === 'ready') return;
    const run = this.records.get(message.runId);
    if (!run) return; // a run of another sweep (a queue's events)
    if (message.type === 'batch') this.live.set(message.runId, message.epoch - 1 + message.batch / message.batches);
    if (message.type === 'epoch') this.live.set(message.runId, message.epoch);
    if (message.type === 'done') {
      this.live.delete(message.runId);
      if (message.outcome === 'failed') this.notice(`${runLabel(run)} failed: ${message.error}`);
      if (message.outcome === 'lost') this.notice(`${runLabel(run)}: ${message.error ?? 'lost'}`);
      this.wake();
    }
    this.options.observer?.message?.(slot, message, run);
    if (message.type !== 'done') this.reportProgress();
  }

  private checkStale(): void {
    if (Date.now() - this.lastStaleCheck < 30_000) return;
    this.lastStaleCheck = Date.now();
    const maxRetries = this.options.maxRetries ?? 2;
    const { requeued, failed } = this.store.failStaleRuns({ staleAfterMs: this.options.staleAfterMs ?? 600_000, maxRetries });
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
}
