// The runner's queue executor (`acmix-lab sweep --queue redis://…`): each trainable run becomes a BullMQ job
// on RUNS_QUEUE, which `acmix-lab worker` processes on any machine take (queue-worker-process.ts). This
// coordinator stays the database's only writer: each step it first applies, in order, what its workers
// reported through its event stream (queue-events.ts), then queues a job for every trainable run that has
// none waiting or active. A run has one job id (`<coordinator>-<run id>`); a finished job of an earlier
// turn (a halving rung, a worker stopped with Ctrl-C) is removed before the next is added, so restarting
// the coordinator finds the jobs still queued or active and adds nothing twice.
// Dead workers are BullMQ's to detect: a job whose worker stops renewing its lock is stalled, and another
// worker takes it over and resumes the run from its checkpoint in the shared folder; the coordinator
// counts that as one of the run's retries (applyEvent). Ctrl-C only detaches the coordinator.
import type { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import type { Store } from '@acmix-lab/store';
import { coordinatorNames, queueVersion, RUNS_QUEUE, type CoordinatorNames, type RunJob } from './queue.js';
import { applyEvent, readEvents } from './queue-events.js';
import { formatRetry, runLabel } from './report.js';
import type { RunExecutor, RunnerOptions, RunnerSink } from './runner.js';
import { elapsedSeconds } from './run-writer.js';
import { runFolderIn } from './worker-run.js';

const LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export class QueueDispatch implements RunExecutor {
  readonly checksStale = false;
  private readonly queue: Queue;
  private readonly names: CoordinatorNames;
  private applied = '0';
  /** Display slots of the workers seen, in order of appearance. */
  private readonly slots = new Map<string, number>();

  /** `redis`: connected (queue.ts connectRedis); its owner closes it. */
  constructor(private readonly store: Store, private readonly runIds: readonly number[], private readonly redis: Redis,
    private readonly options: RunnerOptions, private readonly sink: RunnerSink) {
    this.names = coordinatorNames(options.dbFile);
    this.queue = new Queue(RUNS_QUEUE, { connection: redis });
  }

  async start(): Promise<void> {
    this.applied = (await this.redis.get(this.names.applied)) ?? '0';
  }

  private jobId(runId: number): string {
    return `${this.names.id}-${runId}`;
  }

  private slot(worker: string): number {
    if (!this.slots.has(worker)) this.slots.set(worker, this.slots.size);
    return this.slots.get(worker)!;
  }

  /** Applies every event not applied yet, in order; each event's id is saved once it is applied. */
  private async applyEvents(): Promise<void> {
    const redis = this.redis;
    for (;;) {
      const events = await readEvents(redis, this.names.events, this.applied);
      if (events.length === 0) return;
      for (const { id, event } of events) {
        const line = applyEvent(this.store, event, this.options.maxRetries ?? 2);
        await redis.set(this.names.applied, id);
        this.applied = id;
        if (line) this.sink.notice(line);
        if (event.type === 'progress') this.sink.message(this.slot(event.worker), event.message);
      }
      await redis.xtrim(this.names.events, 'MINID', this.applied);
    }
  }

  /** The job for a run's next turn: what the worker needs, with the store's progress. */
  private job(runId: number): RunJob {
    const run = this.store.getRun(runId)!;
    return {
      version: queueVersion(), events: this.names.events, folder: runFolderIn(this.names.folder, run),
      run: { id: run.id, sweep: run.sweep, name: run.name, seed: run.seed, model_yaml: run.model_yaml, config: run.config, epoch: run.epoch, epoch_budget: run.epoch_budget },
      time: elapsedSeconds(this.store, runId, run.epoch), retries: run.retries, maxRetries: this.options.maxRetries ?? 2,
    };
  }

  /**
   * Applies the workers' events; then a run still marked running whose job is neither queued nor active is
   * settled: its job failed (the worker threw) — requeued with a retry, or failed past maxRetries — or it has
   * none (Redis restarted without persistence, or a local worker of an earlier sweep died) — queued again
   * without a retry. Either way it resumes from its last checkpoint.
   */
  private async applyAndSettle(): Promise<void> {
    const jobless: { id: number; failed: string | undefined }[] = [];
    for (const id of this.runIds) {
      if (this.store.getRun(id)!.status !== 'running') continue;
      const job = await this.queue.getJob(this.jobId(id));
      if (!job || !LIVE.has(await job.getState())) jobless.push({ id, failed: job?.failedReason });
    }
    await this.applyEvents(); // after the look at the jobs: a job that ended had sent all its events
    for (const { id, failed } of jobless) {
      const run = this.store.getRun(id)!;
      if (run.status !== 'running') continue;
      if (failed) {
        const reason = `the job of ${runLabel(run)} failed on ${run.worker}: ${failed}`;
        const maxRetries = this.options.maxRetries ?? 2;
        const status = this.store.requeueOrFail(id, reason, maxRetries);
        this.sink.notice(formatRetry(reason, status, run.retries + 1, maxRetries));
      } else {
        this.store.releaseRun(id);
        this.sink.notice(`${runLabel(run)} was running on ${run.worker} but has no job on the queue: queued again to resume from its last checkpoint`);
      }
    }
  }

  async dispatch(runIds: readonly number[]): Promise<void> {
    await this.applyAndSettle();
    const queue = this.queue;
    for (const runId of runIds) {
      if (this.store.getRun(runId)!.status !== 'queued') continue; // taken meanwhile (an event just applied)
      const jobId = this.jobId(runId);
      const job = await queue.getJob(jobId);
      if (job && LIVE.has(await job.getState())) continue;
      await job?.remove();
      await queue.add('run', this.job(runId), { jobId, removeOnComplete: true, removeOnFail: 1000 });
    }
  }

  busy(): Set<number> {
    return new Set(); // the store says which runs are running; a queued run's job is found by its id
  }

  stop(): void {}

  async close(): Promise<void> {
    await this.queue.close(); // the connection is the sweep runner's
  }
}
