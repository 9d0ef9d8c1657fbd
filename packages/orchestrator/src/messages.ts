// What the runner and its worker processes say to each other over the IPC channel. Runs' rows are not
// sent: each worker writes its own through the store; these messages only schedule and show progress.
import type { LossGains } from '@acmix-lab/trainer';

/** Runner → worker. */
export type RunnerMessage =
  /** Claim and train this run (to its epoch budget). */
  | { type: 'run'; runId: number }
  /** Stop the current run at the next batch, leave it queued to resume, and exit. */
  | { type: 'stop' }
  /** No more work: exit. */
  | { type: 'exit' };

/** How a worker's turn with a run ended. */
export type RunOutcome =
  /** All epochs trained (or stopped early by patience). */
  | 'completed'
  /** At its epoch budget: waits for the strategy. */
  | 'parked'
  /** Stopped on request; queued to resume. */
  | 'released'
  | 'failed'
  /** No longer this worker's (another took it, or it was requeued as stale): nothing was written. */
  | 'lost';

/** Worker → runner. */
export type WorkerMessage =
  | { type: 'ready'; worker: string; backend: string }
  | { type: 'start'; runId: number; name: string; seed: number; startEpoch: number; epochs: number; budget: number }
  | { type: 'batch'; runId: number; epoch: number; epochs: number; batch: number; batches: number; losses: LossGains; itPerSec: number }
  | { type: 'epoch'; runId: number; epoch: number; epochs: number; map50: number; map50_95: number; seconds: number }
  | { type: 'done'; runId: number; outcome: RunOutcome; error?: string };
