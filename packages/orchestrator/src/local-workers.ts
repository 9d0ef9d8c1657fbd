// The runner's local executor: worker processes on this machine (worker-pool.ts), each handed one run at a
// time over IPC, writing that run's rows itself. It watches them:
//   - a worker that exits while holding a run (killed, crashed, out of memory) has the run requeued, to
//     resume from its checkpoint, up to `maxRetries` times, then failed with the reason (a crash signal
//     described by the runtime's describeSignalDeath);
//   - a run still marked running by a worker of this host that is gone (the whole sweep was killed) is
//     queued again without counting a retry: the sweep's interruption is not the run's fault.
// Each run gets a worker with the thread count it was trained with so far (a resume with other threads
// would not give the same weights).
import os from 'node:os';
import { describeSignalDeath } from '@acmix-lab/runtime';
import { RunStateError, type Store } from '@acmix-lab/store';
import type { WorkerMessage } from './messages.js';
import { formatRetry, runLabel } from './report.js';
import type { RunExecutor, RunnerOptions, RunnerSink } from './runner.js';
import { THREADS_VERSION_KEY, threadsPerWorker } from './threads.js';
import { isWorkerAlive, WorkerProcess } from './worker-pool.js';

export class LocalWorkers implements RunExecutor {
  readonly checksStale = true;
  private readonly workers = new Map<number, WorkerProcess>();
  private readonly threads: number;

  constructor(private readonly store: Store, private readonly runIds: readonly number[], private readonly options: RunnerOptions,
    private readonly sink: RunnerSink) {
    this.threads = options.threads ?? threadsPerWorker(options.workers);
  }

  /** Runs left `running` by workers of this host that are gone: the sweep was killed; they resume. */
  async start(): Promise<void> {
    for (const id of this.runIds) {
      const run = this.store.getRun(id)!;
      if (run.status !== 'running' || run.host !== os.hostname() || run.pid === null || isWorkerAlive(run.pid)) continue;
      try {
        this.store.releaseRun(id);
        this.sink.notice(`${runLabel(run)} was interrupted at epoch ${run.epoch} (worker pid ${run.pid} is gone): it resumes from its last checkpoint`);
      } catch (err) {
        if (!(err instanceof RunStateError)) throw err;
      }
    }
  }

  busy(): Set<number> {
    return new Set([...this.workers.values()].map((w) => w.runId).filter((id) => id !== null));
  }

  /** The threads a run was trained with so far. */
  private threadsFor(runId: number): number {
    const versions = this.store.getRun(runId)!.versions;
    return Number(versions?.[THREADS_VERSION_KEY] ?? this.threads);
  }

  /**
   * Hands runs to idle workers with the runs' thread counts. Workers still starting take the next runs when
   * ready; otherwise a worker is started while there is room, and an idle worker with another thread count
   * makes room by exiting.
   */
  async dispatch(runIds: readonly number[]): Promise<void> {
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
      this.sink.wake();
      return;
    }
    if (message.type === 'done') worker.runId = null;
    this.sink.message(worker.slot, message);
  }

  private onExit(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(worker.slot);
    const runId = worker.runId;
    if (!worker.ready && !this.sink.stopping() && code !== 0) {
      this.sink.fail(new Error(`a worker process exited while starting (${signal ?? `code ${code}`}): ${worker.lastError() || 'no message'}`));
    }
    if (runId !== null) {
      this.sink.forget(runId);
      this.settleDeadWorker(worker, runId, code, signal);
    }
    this.sink.wake();
  }

  /** The run a dead worker held: queued to resume (a retry, unless the sweep is stopping), or failed. */
  private settleDeadWorker(worker: WorkerProcess, runId: number, code: number | null, signal: NodeJS.Signals | null): void {
    const run = this.store.getRun(runId)!;
    if (run.status !== 'running' || run.worker !== worker.id) return; // it finished, or never started
    try {
      if (this.sink.stopping()) {
        this.store.releaseRun(runId);
        return;
      }
      const what = `the worker of ${runLabel(run)}`;
      const reason = signal ? describeSignalDeath(signal, what) : `${what} exited with code ${code}${worker.lastError() ? `: ${worker.lastError()}` : ''}`;
      const maxRetries = this.options.maxRetries ?? 2;
      const status = this.store.requeueOrFail(runId, reason, maxRetries);
      this.sink.notice(formatRetry(reason, status, run.retries + 1, maxRetries));
    } catch (err) {
      if (!(err instanceof RunStateError)) throw err; // changed meanwhile (stale check): nothing to do
    }
  }

  /** Ctrl-C: busy workers stop at their next batch (their runs stay queued to resume). */
  stop(): void {
    for (const w of this.workers.values()) w.send({ type: 'stop' });
  }

  /** Waits for every worker to exit: told to exit when idle, to stop (and release its run) when busy. */
  async close(): Promise<void> {
    const waiting = [...this.workers.values()].filter((w) => !w.exited).map((w) => new Promise<void>((resolve) => {
      w.child.once('exit', () => resolve());
      w.send(w.runId === null ? { type: 'exit' } : { type: 'stop' });
    }));
    await Promise.all(waiting);
  }
}
