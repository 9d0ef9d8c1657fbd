// A sweep worker: a child process of the runner (worker-pool.ts) that trains the runs it is handed, one at
// a time, writing their rows itself. Started as `node --import tsx worker-process.ts DB THREADS HEARTBEAT_MS`
// with TensorFlow's thread variables already in its environment (threads.ts).
// Ctrl-C (SIGINT to the whole process group), SIGTERM, a `stop` message or the runner's channel closing
// (the runner was killed) stop the current run at its next batch and leave it queued to resume; a second
// Ctrl-C exits at once.
import { initBackend } from '@acmix-lab/runtime';
import { currentWorker, openStore } from '@acmix-lab/store';
import type { RunnerMessage, RunOutcome, WorkerMessage } from './messages.js';
import { storeWriter } from './run-writer.js';
import { runFolder, trainRun } from './worker-run.js';

const [dbFile, threads, heartbeatMs] = process.argv.slice(2) as [string, string, string];
const send = (message: WorkerMessage) => {
  if (process.connected) process.send!(message);
};

const stop = new AbortController();
const exitSoon = () => {
  stop.abort();
  if (!busy) process.exit(0);
};
/** A second Ctrl-C quits at once, as the runner does (the run stays `running`; the next sweep resumes it). */
const onSignal = () => (stop.signal.aborted ? process.exit(130) : exitSoon());
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('disconnect', exitSoon);

let busy = false;
const store = openStore(dbFile);
const who = currentWorker();
const backend = await initBackend();
const context = { who, backend, threads: Number(threads), loaderWorkers: Number(threads), heartbeatMs: Number(heartbeatMs), send };

/** Claims run `runId` and trains it, writing its rows into the store. */
async function claimAndTrain(runId: number): Promise<{ outcome: RunOutcome; error?: string }> {
  const run = store.claimRun(who, { runId });
  if (!run) return { outcome: 'lost', error: `run ${runId} is not queued with epochs left to train (another worker took it?)` };
  return trainRun(context, run, run.run_dir ?? runFolder(dbFile, run), storeWriter(store, run.id, who.worker), stop.signal);
}

process.on('message', (message: RunnerMessage) => {
  if (message.type === 'exit') process.exit(0);
  if (message.type === 'stop') exitSoon();
  if (message.type !== 'run' || stop.signal.aborted) return;
  busy = true;
  void claimAndTrain(message.runId).then(({ outcome, error }) => {
    busy = false;
    send({ type: 'done', runId: message.runId, outcome, error });
    if (stop.signal.aborted) process.exit(0);
  }, (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
});
send({ type: 'ready', worker: who.worker, backend: backend.backend });
