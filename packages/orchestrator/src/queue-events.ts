// What queue workers report to their coordinator, in order, through a Redis stream (one per coordinator:
// queue.ts coordinatorNames), and how the coordinator applies it to the store, its only writer. The stream
// keeps order (a run's epochs arrive as they were trained) and outlives the coordinator: one killed and
// started again reads on from the last event it applied. Applying is idempotent: an epoch logged again
// replaces its row (the store's metrics are keyed on run and epoch), a claim by the worker that holds the
// run is a no-op, and a write by a worker that no longer holds the run changes nothing.
import type { Redis } from 'ioredis';
import { RunStateError, type EpochEntry, type RunInfo, type Store, type WorkerIdentity } from '@acmix-lab/store';
import type { WorkerMessage } from './messages.js';
import { formatRetry, runLabel } from './report.js';
import { storeWriter, type Artifact, type RunEnd } from './run-writer.js';

export type QueueEvent =
  /** A worker took the run's job (maybe from a worker that stopped: BullMQ found its job stalled). */
  | { type: 'start'; runId: number; who: WorkerIdentity }
  | { type: 'info'; runId: number; worker: string; info: RunInfo }
  | { type: 'epoch'; runId: number; worker: string; entry: EpochEntry; end?: RunEnd; artifacts?: readonly Artifact[] }
  | { type: 'end'; runId: number; worker: string; end: RunEnd; artifacts: readonly Artifact[] }
  /** A worker would not take the job (another version of acmix-lab): the run fails with why. */
  | { type: 'refused'; runId: number; worker: string; error: string }
  /** Progress for the coordinator's display only. */
  | { type: 'progress'; worker: string; message: WorkerMessage };

// JSON has no NaN or infinities; results.csv rows do (NaN losses, a NaN mAP).
export const encodeEvent = (event: QueueEvent) => JSON.stringify(event, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `${v}` : v));
const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Infinity, '-Infinity': -Infinity };
export const decodeEvent = (text: string) => JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && v in NON_FINITE ? NON_FINITE[v] : v)) as QueueEvent;

/** Appends an event to a coordinator's stream (a worker's side). */
export async function sendEvent(redis: Redis, stream: string, event: QueueEvent): Promise<void> {
  await redis.xadd(stream, '*', 'e', encodeEvent(event));
}

/** The events after `after` (a stream id; '0' for all), at most `count`. */
export async function readEvents(redis: Redis, stream: string, after: string, count = 500): Promise<{ id: string; event: QueueEvent }[]> {
  const reply = await redis.xread('COUNT', count, 'STREAMS', stream, after);
  if (!reply) return [];
  return reply[0]![1].map(([id, fields]) => ({ id, event: decodeEvent(fields[1]!) }));
}

/**
 * Applies one event to the store; returns a line for the user when something happened to a run (a
 * worker took over a stalled run, a run was refused). Progress events change nothing.
 */
export function applyEvent(store: Store, event: QueueEvent, maxRetries: number): string | null {
  if (event.type === 'progress') return null;
  const run = store.getRun(event.runId);
  if (!run) return null; // deleted since
  try {
    switch (event.type) {
      case 'start': {
        const { who } = event;
        if (run.status === 'running' && run.worker === who.worker) return null; // applied before
        let line: string | null = null;
        if (run.status === 'running') {
          // BullMQ found the job stalled (its worker's lock expired) and handed it to this worker.
          const reason = `worker ${run.worker} on ${run.host} stopped while training ${runLabel(run)} (its job stalled)`;
          const status = store.requeueOrFail(run.id, reason, maxRetries);
          line = formatRetry(reason, status, run.retries + 1, maxRetries) + (status === 'queued' ? `: ${who.worker} on ${who.host} resumes it from its checkpoint` : '');
        }
        store.claimRun(who, { runId: run.id });
        return line;
      }
      case 'info':
        storeWriter(store, run.id, event.worker).info(event.info);
        return null;
      case 'epoch':
        // A new worker's catch-up (no time: read back from the checkpoint) of an epoch the store has: the same row.
        if (event.entry.time == null && event.entry.row.epoch <= run.epoch) return null;
        storeWriter(store, run.id, event.worker).epoch(event.entry, event.end, event.artifacts);
        return null;
      case 'end':
        storeWriter(store, run.id, event.worker).end(event.end, event.artifacts);
        return null; // a failure is told with the worker's `done`, as for local workers
      case 'refused':
        if (run.status === 'completed' || run.status === 'failed' || run.status === 'pruned') return null;
        store.finishRun(run.id, 'failed', { error: event.error });
        return `${runLabel(run)} failed: ${event.error}`;
    }
  } catch (err) {
    if (err instanceof RunStateError) return null; // from a worker that no longer holds the run, or applied before
    throw err;
  }
}
