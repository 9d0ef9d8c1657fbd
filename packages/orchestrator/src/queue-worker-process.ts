// One queue worker process of `acmix-lab worker` (queue-workers.ts starts them): a BullMQ worker on
// RUNS_QUEUE with concurrency 1 that trains each job's run in the shared checkpoint folder and reports
// everything through the job's coordinator's event stream (queue-events.ts); it never opens the database.
// Started as `node --import tsx queue-worker-process.ts URL CHECKPOINTS THREADS LOCK_MS DATA_MAP_JSON` with
// TensorFlow's thread variables in its environment (threads.ts).
//   - Its job lock is renewed while it trains (BullMQ's, every LOCK_MS / 2, and by the run's heartbeat);
//     a worker that dies stops renewing it, and after LOCK_MS another worker's stalled-job check hands the
//     job on: that worker resumes the run from the checkpoint in the shared folder. A worker that finds it
//     lost its lock (it was too slow and presumed dead) stops at its next batch and writes nothing more.
//   - Each stall costs the run a retry; past the job's maxRetries the run is failed (by the coordinator,
//     on this worker's `start`) instead of trained.
//   - A job from another version of acmix-lab is refused: the job fails, and the run with it, naming both.
//   - Ctrl-C or SIGTERM: the current run stops at its next batch and is left queued to resume; a second one
//     exits at once.
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { initBackend } from '@acmix-lab/runtime';
import { currentWorker } from '@acmix-lab/store';
import { mapDataPath, type DataMap } from './data-map.js';
import type { WorkerMessage } from './messages.js';
import { connectRedis, queueVersion, RUNS_QUEUE, type RunJob } from './queue.js';
import { sendEvent, type QueueEvent } from './queue-events.js';
import { runLabel } from './report.js';
import type { RunWriter } from './run-writer.js';
import { trainRun } from './worker-run.js';

const [url, checkpoints, threads, lockMs, dataMapJson] = process.argv.slice(2) as [string, string, string, string, string];
const dataMap = JSON.parse(dataMapJson) as DataMap;
const lockDuration = Number(lockMs);
const stop = new AbortController();
const who = currentWorker();
const log = (line: string) => process.stderr.write(`${who.worker}: ${line}\n`);

let redis: Awaited<ReturnType<typeof connectRedis>>;
try {
  redis = await connectRedis(url);
} catch (err) {
  log((err as Error).message);
  process.exit(1);
}
const backend = await initBackend();

/** A run's writes as events on the coordinator's stream, in order; the job's data follows the run's progress. */
function queueWriter(job: Job<RunJob>, token: string, emit: (e: QueueEvent) => void, track: (p: Promise<unknown>) => void): RunWriter {
  const data = job.data;
  const runId = data.run.id;
  return {
    heartbeat: async () => (await job.extendLock(token, lockDuration)) === 1,
    info: (info) => emit({ type: 'info', runId, worker: who.worker, info }),
    epoch: (entry, end, artifacts) => {
      emit({ type: 'epoch', runId, worker: who.worker, entry, end, artifacts });
      // A worker taking the job over after a stall starts from here.
      const time = entry.time ?? data.time;
      track(job.updateData({ ...data, run: { ...data.run, epoch: entry.row.epoch }, time }));
    },
    end: (end, artifacts) => emit({ type: 'end', runId, worker: who.worker, end, artifacts }),
    elapsed: () => data.time,
  };
}

async function processJob(job: Job<RunJob>, token?: string): Promise<string> {
  const data = job.data;
  const runId = Number(data.run?.id);
  if (stop.signal.aborted) throw new Error('the worker is stopping'); // taken as Ctrl-C came: the coordinator queues it again
  if (data.version !== queueVersion()) {
    const error = `job for run ${runId} comes from ${data.version}, this worker runs ${queueVersion()}: run one version on the coordinator and every worker`;
    if (typeof data.events === 'string') await sendEvent(redis, data.events, { type: 'refused', runId, worker: who.worker, error });
    log(error);
    throw new UnrecoverableError(error);
  }
  const pending: Promise<unknown>[] = [];
  const track = (p: Promise<unknown>) => pending.push(p.catch((err: Error) => log(`lost an event: ${err.message}`)));
  const emit = (event: QueueEvent) => track(sendEvent(redis, data.events, event));
  emit({ type: 'start', runId, who });
  if (data.retries + job.stalledCounter > data.maxRetries) { // the coordinator fails it on `start`
    log(`${runLabel(data.run)}: its workers stopped ${job.stalledCounter} times; no retries left (${data.maxRetries})`);
    await Promise.all(pending);
    return 'failed';
  }
  log(`${runLabel(data.run)}: ${job.stalledCounter > 0 ? 'resuming after its worker stopped' : 'training'} to epoch ${data.run.epoch_budget}`);
  let lastBatch = 0;
  const send = (message: WorkerMessage) => {
    if (message.type === 'batch' && Date.now() - lastBatch < 1000) return; // the display needs no more
    if (message.type === 'batch') lastBatch = Date.now();
    if (message.type === 'epoch') log(`${runLabel(data.run)}: epoch ${message.epoch}/${message.epochs} mAP50-95 ${message.map50_95.toFixed(4)}`);
    emit({ type: 'progress', worker: who.worker, message });
  };
  const context = { who, backend, threads: Number(threads), loaderWorkers: Number(threads), heartbeatMs: Math.max(1000, lockDuration / 3), send,
    localPath: (file: string) => mapDataPath(dataMap, file) };
  const { outcome, error } = await trainRun(context, data.run, path.join(checkpoints, data.folder), queueWriter(job, token!, emit, track), stop.signal);
  send({ type: 'done', runId, outcome, error });
  log(`${runLabel(data.run)}: ${outcome}${error ? `: ${error}` : ''}`);
  await Promise.all(pending);
  return outcome;
}

const worker = new Worker<RunJob>(RUNS_QUEUE, processJob, {
  connection: redis, concurrency: 1, lockDuration, stalledInterval: Math.max(1000, Math.min(30_000, lockDuration / 2)),
  // Retries are the run's (RunJob.maxRetries, counted on `start`), not BullMQ's: it only hands stalled jobs on.
  maxStalledCount: Number.MAX_SAFE_INTEGER,
});
worker.on('error', (err) => log(`queue: ${err.message}`));

const onSignal = async () => {
  if (stop.signal.aborted) process.exit(130);
  stop.abort();
  await worker.close(); // waits for the current job: its run stops at the next batch and is left queued
  redis.disconnect();
  process.exit(0);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
const mapped = dataMap.map((m) => `, data ${m.from} at ${m.to}`).join('');
log(`taking runs from ${url} (${backend.backend}, ${threads} threads, checkpoints in ${checkpoints}${mapped})`);
