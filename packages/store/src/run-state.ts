// A run's life as an explicit state machine (optuna's TrialState, plus `queued` for work not yet
// claimed). Every status change goes through `checkTransition` inside the write transaction that
// makes it, so two processes can never both move a run out of the same state.
//
//   queued ──claim──▶ running ──finish──▶ completed | failed | pruned
//     ▲                  │
//     └──── release ─────┘  (epoch budget reached, interrupted, or its worker died and it is retried)
//   queued ──▶ pruned | failed   (halving stops a run between rungs; a run that cannot start)
//   failed ──retry──▶ queued     (the user asks for failed runs to run again)

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'pruned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'pruned', 'failed'],
  running: ['queued', 'completed', 'failed', 'pruned'],
  failed: ['queued'],
  completed: [],
  pruned: [],
};

/** A write that the run's current state forbids: a finished run, or a run another worker now holds. */
export class RunStateError extends Error {
  override name = 'RunStateError';
}

export function checkTransition(runId: number, from: RunStatus, to: RunStatus): void {
  if (!TRANSITIONS[from].includes(to)) throw new RunStateError(`run ${runId}: cannot go from ${from} to ${to}`);
}
