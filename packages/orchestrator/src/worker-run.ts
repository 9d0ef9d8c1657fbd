// One worker's turn with one run it holds: catch the store up with what the run folder has committed,
// train (fresh, or resumed from weights/last) to the run's epoch budget, and write every epoch and the
// run's end through its RunWriter (the store, or the queue's events: run-writer.ts). train()'s epoch
// callback comes after the epoch is committed on disk (weights/last written last), and each epoch's row
// is written together with any change of the run's state, so a kill anywhere leaves a state the next
// worker continues from.
import fs from 'node:fs';
import path from 'node:path';
import type { BackendInfo } from '@acmix-lab/runtime';
import { RunStateError, type RunRecord, type WorkerIdentity } from '@acmix-lab/store';
import {
  committedResults, RunFinishedError, runFiles, train, type LocalPath, type ResumeInput, type TrainConfigInput, type TrainHooks,
} from '@acmix-lab/trainer';
import type { RunOutcome, WorkerMessage } from './messages.js';
import type { Artifact, RunWriter } from './run-writer.js';
import { THREADS_VERSION_KEY } from './threads.js';

export interface RunContext {
  who: WorkerIdentity;
  backend: BackendInfo;
  /** TensorFlow intra-op threads of this process (recorded with the run). */
  threads: number;
  /** Data loader threads (the run's `workers`, which does not change results). */
  loaderWorkers: number;
  heartbeatMs: number;
  send: (message: WorkerMessage) => void;
  /** Where the run's dataset is on this machine (a queue worker's --data-map); default where its config says. */
  localPath?: LocalPath;
}

/** Why a run's training was stopped through its AbortSignal. */
class Stop extends Error {
  constructor(readonly outcome: 'parked' | 'released' | 'lost', message: string) {
    super(message);
  }
}

/** A run's folder under `base`: `<sweep>/<id>-<name>-seed<seed>`. */
export const runFolderIn = (base: string, run: Pick<RunRecord, 'sweep' | 'id' | 'name' | 'seed'>) => path.join(base, run.sweep, `${run.id}-${run.name}-seed${run.seed}`);

/** `runs/acmix-lab.db` → `runs/acmix-lab/<sweep>/<id>-<name>-seed<seed>`: unique per database and run. */
export function runFolder(dbFile: string, run: Pick<RunRecord, 'sweep' | 'id' | 'name' | 'seed'>): string {
  return runFolderIn(path.join(path.dirname(path.resolve(dbFile)), path.basename(dbFile, path.extname(dbFile))), run);
}

function bytes(file: string): number {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(file).reduce((a, f) => a + bytes(path.join(file, f)), 0);
}

function artifacts(dir: string, modelFile: string): Artifact[] {
  const files = runFiles(dir);
  const kinds: [string, string][] = [['args.yaml', files.args], ['model.yaml', modelFile], ['results.csv', files.results],
    ['results.png', files.plot], ['weights/best', files.best], ['weights/last', files.last]];
  return kinds.filter(([, file]) => fs.existsSync(file)).map(([kind, file]) => ({ kind, path: file, bytes: bytes(file) }));
}

/** The run as its worker needs it: what to train, and how far the store has it. */
export type HeldRun = Pick<RunRecord, 'id' | 'name' | 'seed' | 'model_yaml' | 'config' | 'epoch' | 'epoch_budget'>;

/** Logs the epochs the run folder has committed that the store lacks (a kill came between the two); returns how many it has. */
function catchUp(writer: RunWriter, run: HeldRun, dir: string): number {
  const committed = committedResults(dir);
  for (const row of committed) {
    if (row.epoch > run.epoch && row.epoch <= run.epoch_budget) writer.epoch({ row, time: null });
  }
  return committed.length;
}

/** The input of train(): resume from the folder's checkpoint, or a fresh run in a clean folder. */
function trainInput(run: HeldRun, dir: string, modelFile: string, committed: number, loaderWorkers: number): TrainConfigInput | ResumeInput {
  if (committed > 0) return { resume: dir, workers: loaderWorkers };
  fs.rmSync(dir, { recursive: true, force: true }); // a start killed before its first checkpoint
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(modelFile, run.model_yaml!);
  return {
    ...(run.config as TrainConfigInput), model: modelFile, project: path.dirname(dir), name: path.basename(dir), exist_ok: true,
    workers: loaderWorkers,
  };
}

/** Trains run `run`, which this worker holds, to its budget in `dir`; `stop` (Ctrl-C, the runner going away) leaves it queued to resume. */
export async function trainRun(ctx: RunContext, run: HeldRun, dir: string, writer: RunWriter, stop: AbortSignal): Promise<{ outcome: RunOutcome; error?: string }> {
  const controller = new AbortController();
  const onStop = () => controller.abort(new Stop('released', 'stopped'));
  stop.addEventListener('abort', onStop);
  const lost = new Stop('lost', `run ${run.id} is no longer held by ${ctx.who.worker}`);
  const heartbeat = setInterval(() => {
    void Promise.resolve(writer.heartbeat()).then((held) => held || controller.abort(lost), () => {});
  }, ctx.heartbeatMs);
  heartbeat.unref();
  const modelFile = path.join(dir, path.basename(String(run.config.model)));
  const target = Number(run.config.epochs);
  const finish = (end: { status: 'completed' } | { status: 'failed'; error: string }) => writer.end(end, artifacts(dir, modelFile));
  /** How training ended when it threw: stopped on purpose, the run lost, nothing left to train, or a failure. */
  const settle = (err: unknown, signal: AbortSignal): { outcome: RunOutcome; error?: string } => {
    if (signal.aborted && err === signal.reason && err instanceof Stop) {
      if (err.outcome === 'released') writer.end({ status: 'released' }, []);
      return { outcome: err.outcome };
    }
    if (err instanceof RunStateError) return { outcome: 'lost', error: err.message };
    if (err instanceof RunFinishedError) { // the checkpoint holds the end (stopped by patience): catchUp logged its epochs
      finish({ status: 'completed' });
      return { outcome: 'completed' };
    }
    const error = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    finish({ status: 'failed', error });
    return { outcome: 'failed', error };
  };
  try {
    if (run.model_yaml === null) throw new Error(`run ${run.id} has no model yaml (an imported run cannot be trained here)`);
    writer.info({ run_dir: dir });
    const committed = catchUp(writer, run, dir);
    if (committed >= run.epoch_budget) {
      writer.end({ status: committed >= target ? 'completed' : 'released' }, artifacts(dir, modelFile));
      return { outcome: committed >= target ? 'completed' : 'parked' };
    }
    let time = writer.elapsed(committed);
    let outcome: RunOutcome | null = null;
    const hooks: TrainHooks = {
      log: (line) => fs.appendFileSync(path.join(dir, 'train.log'), `${line}\n`),
      signal: controller.signal,
      localPath: ctx.localPath,
      start: (s) => {
        const versions = { tensorflow: ctx.backend.tensorflowVersion ?? 'none', tfjs: ctx.backend.tfjsVersion, node: process.versions.node, [THREADS_VERSION_KEY]: String(ctx.threads) };
        writer.info({ backend: s.backend, versions, params: s.params, gflops: s.gflops });
        ctx.send({ type: 'start', runId: run.id, name: run.name, seed: run.seed, startEpoch: s.startEpoch, epochs: s.epochs, budget: run.epoch_budget });
      },
      batch: (p) => ctx.send({ type: 'batch', runId: run.id, epoch: p.epoch, epochs: p.epochs, batch: p.batch, batches: p.batches, losses: p.losses, itPerSec: p.itPerSec }),
      epoch: (r) => {
        time += r.seconds;
        const final = r.epoch >= target;
        const atBudget = r.epoch >= run.epoch_budget;
        const end = final ? { status: 'completed' as const } : atBudget ? { status: 'released' as const } : undefined;
        writer.epoch({ row: r.row, time }, end, end ? artifacts(dir, modelFile) : []);
        ctx.send({ type: 'epoch', runId: run.id, epoch: r.epoch, epochs: r.epochs, map50: r.row['metrics/mAP50(B)'], map50_95: r.row['metrics/mAP50-95(B)'], seconds: r.seconds });
        if (final) outcome = 'completed';
        else if (atBudget) controller.abort(new Stop('parked', `run ${run.id} reached its budget of ${run.epoch_budget} epochs`));
      },
    };
    await train(trainInput(run, dir, modelFile, committed, ctx.loaderWorkers), hooks);
    if (outcome === null) finish({ status: 'completed' }); // stopped early by patience
    return { outcome: 'completed' };
  } catch (err) {
    try {
      return settle(err, controller.signal);
    } catch (lost) {
      if (lost instanceof RunStateError) return { outcome: 'lost', error: lost.message };
      throw lost;
    }
  } finally {
    clearInterval(heartbeat);
    stop.removeEventListener('abort', onStop);
  }
}
