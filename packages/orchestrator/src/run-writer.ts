// Where a worker's turn with a run (worker-run.ts) writes what happens: straight into the store (a local
// worker), or as events through the queue that the coordinator applies to the store (queue-worker-process.ts,
// queue-events.ts). Either way the store changes by the same calls of `storeWriter`: an epoch's row and any
// change of the run's state in one transaction, artifacts recorded when a run stops.
import { writeTransaction, type EpochEntry, type RunInfo, type Store } from '@acmix-lab/store';

/** How a worker's turn with a run ends in the store. */
export type RunEnd = { status: 'completed' } | { status: 'failed'; error: string } | { status: 'released' };

/** A file the run produced (recorded in the store's artifacts). */
export interface Artifact {
  kind: string;
  path: string;
  bytes: number;
}

export interface RunWriter {
  /** The run is still this worker's (false: stop, write nothing more). */
  heartbeat(): boolean | Promise<boolean>;
  info(info: RunInfo): void;
  /** One epoch; with `end`, the run stops there (completed, or released at its budget) in the same transaction. */
  epoch(entry: EpochEntry, end?: RunEnd, artifacts?: readonly Artifact[]): void;
  end(end: RunEnd, artifacts: readonly Artifact[]): void;
  /** Seconds of training up to the end of `epoch` as far as recorded (Ultralytics' `time`), 0 if unknown. */
  elapsed(epoch: number): number;
}

/** Seconds of training the store has for run `runId` up to the end of `epoch` (the last epoch with a `time`), 0 if none. */
export function elapsedSeconds(store: Store, runId: number, epoch: number): number {
  return store.runMetrics(runId).filter((m) => m.epoch <= epoch && m.time !== null).at(-1)?.time ?? 0;
}

/** Writes run `runId` as `worker` into the store; every call checks that the worker still holds the run. */
export function storeWriter(store: Store, runId: number, worker: string): RunWriter {
  const stop = (end: RunEnd, artifacts: readonly Artifact[]) => {
    for (const a of artifacts) store.addArtifact(runId, a);
    if (end.status === 'released') store.releaseRun(runId, { worker });
    else store.finishRun(runId, end.status, { error: end.status === 'failed' ? end.error : null, worker });
  };
  return {
    heartbeat: () => store.heartbeat(runId, worker),
    info: (info) => store.setRunInfo(runId, info),
    epoch: (entry, end, artifacts = []) => writeTransaction(store.db, () => {
      store.logEpoch(runId, entry, { worker });
      if (end) stop(end, artifacts);
    }),
    end: (end, artifacts) => writeTransaction(store.db, () => stop(end, artifacts)),
    elapsed: (epoch) => elapsedSeconds(store, runId, epoch),
  };
}
