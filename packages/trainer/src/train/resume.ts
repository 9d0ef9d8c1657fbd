// Which run a resume continues, and with what: Ultralytics' engine/trainer.py check_resume + resume_training.
// The run is named by resume=<path> (its folder or its weights/last), by model=<run>/weights/last with
// resume=true (`yolo train resume model=path/to/last.pt`), or by project/name (the newest run of the project
// when no name is given, as get_latest_run). It continues from its own args.yaml and weights/last.
//
// Ultralytics' check_resume lets a resume change imgsz, batch and device (8.1/8.2), and now also close_mosaic,
// workers, patience, save_period, val, plots and keys this project has not. A resume here continues to
// bit-identical weights, so only those that leave the weights alone may change; imgsz, batch and close_mosaic
// would not, and are refused with every other argument that differs from the run's.
import fs from 'node:fs';
import path from 'node:path';
import { recoverDirAtomic } from '@acmix-lab/runtime';
import { CheckpointError, readTrainState, type TrainState } from './checkpoint.js';
import { readTrainConfig, TrainConfigError, type TrainConfig, type TrainConfigInput } from './config.js';
import { resultsUpTo, type ResultsRow } from './results-csv.js';
import { DEFAULT_PROJECT, runFiles, type RunFiles } from './run-dir.js';

/** train()'s input to resume a run: resume=true with project/name or model=<run>/weights/last, or resume=<path>. */
export type ResumeInput = Partial<Omit<TrainConfigInput, 'resume'>> & { resume: true | string };

/** Arguments a resume may change. */
export const RESUME_OVERRIDES: readonly string[] = ['device', 'workers', 'patience', 'save_period', 'val', 'plots'];

/** Arguments that say which run to resume, not how it trains. */
const LOCATORS = new Set(['resume', 'project', 'name', 'exist_ok']);

/** The run has nothing left to train: resuming it says so (Ultralytics: "…is finished, nothing to resume"). */
export class RunFinishedError extends Error {
  override name = 'RunFinishedError';
}

export interface ResumePlan {
  /** The run's args.yaml with the accepted overrides and resume: true. */
  config: TrainConfig;
  files: RunFiles;
  /** weights/last's training state: the last complete epoch, best fitness, EMA and optimizer steps. */
  state: TrainState;
}

const isCheckpoint = (dir: string) => fs.existsSync(path.join(dir, 'train-state.json'));

/** The newest run of `project` with a checkpoint (by the time weights/last was written). */
function latestRun(project: string): string {
  const runs = fs.existsSync(project) ? fs.readdirSync(project).map((d) => path.join(project, d))
    .filter((dir) => isCheckpoint(runFiles(dir).last)) : [];
  if (runs.length === 0) {
    throw new CheckpointError(`resume: no run with a checkpoint (weights/last) in ${project}; name the run folder or give --name`);
  }
  const written = (dir: string) => fs.statSync(path.join(runFiles(dir).last, 'train-state.json')).mtimeMs;
  return runs.reduce((a, b) => (written(b) > written(a) ? b : a));
}

/** The folder of the run `input` names. */
function locateRun(input: ResumeInput): string {
  const key = typeof input.resume === 'string' ? 'resume' : input.model && isCheckpoint(input.model) ? 'model' : null;
  if (key === null) {
    const project = path.resolve(input.project ?? DEFAULT_PROJECT);
    return input.name ? path.join(project, input.name) : latestRun(project);
  }
  const named = String(input[key]);
  const target = path.resolve(named);
  if (!fs.existsSync(target)) throw new CheckpointError(`${key}=${named}: no such run folder or checkpoint`);
  if (!isCheckpoint(target)) return target;
  if (path.basename(target) !== 'last') throw new CheckpointError(`${key}=${named}: only weights/last can be resumed`);
  return path.dirname(path.dirname(target));
}

/**
 * The arguments of `input` a resume may take; any other that differs from the run's is refused, all named in
 * one error. `data` may point elsewhere when the run's own data.yaml is gone (moved datasets), as in Ultralytics.
 */
function acceptedOverrides(input: ResumeInput, run: TrainConfig, dir: string): Partial<TrainConfigInput> {
  const accepted: Record<string, unknown> = {};
  const refused: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || LOCATORS.has(key) || (key === 'model' && isCheckpoint(String(value)))) continue;
    const was = (run as Record<string, unknown>)[key];
    const samePath = (key === 'model' || key === 'data') && path.resolve(String(value)) === path.resolve(String(was));
    if (RESUME_OVERRIDES.includes(key) || (key === 'data' && !fs.existsSync(run.data))) accepted[key] = value;
    else if (value !== was && !samePath) refused.push(`${key} (${JSON.stringify(was)} → ${JSON.stringify(value)})`);
  }
  if (refused.length > 0) {
    throw new TrainConfigError(`resume ${dir}: a resumed run keeps its arguments; cannot change ${refused.join(', ')} `
      + `(only ${RESUME_OVERRIDES.join(', ')} may be given with resume; start a new run to change the others)`);
  }
  return accepted as Partial<TrainConfigInput>;
}

/** Checks everything a resume needs, before any model is built: see the file comment. */
export function planResume(input: ResumeInput): ResumePlan {
  const dir = locateRun(input);
  const files = runFiles(dir);
  recoverCheckpoints(files);
  if (!fs.existsSync(dir)) throw new CheckpointError(`resume: ${dir} does not exist`);
  if (!fs.existsSync(files.args)) throw new CheckpointError(`resume: ${files.args} is missing; is ${dir} a training run?`);
  const overrides = acceptedOverrides(input, readTrainConfig(files.args), dir);
  const config = readTrainConfig(files.args, { ...overrides, resume: true });
  if (!fs.existsSync(files.last)) {
    throw new CheckpointError(`resume: ${files.last} is missing: the run stopped before its first epoch ended, `
      + 'so there is nothing to resume; start it again without resume');
  }
  for (const file of ['train-state.json', 'train-state.safetensors']) {
    const full = path.join(files.last, file);
    if (!fs.existsSync(full)) throw new CheckpointError(`resume: ${full} is missing; ${files.last} is not a resumable checkpoint`);
  }
  const state = readTrainState(files.last);
  // The loop's own stopping rules (train.ts): all epochs done, or no improvement for `patience` epochs.
  if (state.epoch + 1 >= config.epochs) {
    throw new RunFinishedError(`${files.last}: training to ${config.epochs} epochs is finished, nothing to resume`);
  }
  if (state.bestEpoch !== null && state.epoch - state.bestEpoch >= config.patience) {
    throw new RunFinishedError(`${files.last}: training stopped early at epoch ${state.epoch + 1} (no improvement in `
      + `${config.patience} epochs), nothing to resume; give a larger patience to continue`);
  }
  return { config, files, state };
}

/** A process killed while swapping in weights/last or weights/best leaves the previous version (recoverDirAtomic). */
function recoverCheckpoints(files: RunFiles): void {
  recoverDirAtomic(files.last);
  recoverDirAtomic(files.best);
}

/**
 * The results.csv rows a run folder has committed: epochs 1..the epoch its weights/last holds ([] without a
 * checkpoint), the last at full precision from the checkpoint (the one a kill can have kept from a consumer).
 * A consumer that records epochs elsewhere (the sweep runner's store) catches up from these after a kill
 * between the checkpoint and train()'s epoch callback; a row past them is retrained on resume.
 */
export function committedResults(dir: string): ResultsRow[] {
  const files = runFiles(dir);
  recoverCheckpoints(files);
  if (!isCheckpoint(files.last)) return [];
  const state = readTrainState(files.last);
  const rows = resultsUpTo(files.results, state.epoch + 1);
  if (state.row && rows.at(-1)?.epoch === state.epoch + 1) {
    rows[rows.length - 1] = Object.fromEntries(Object.entries(state.row).map(([k, v]) => [k, Number(v)])) as ResultsRow;
  }
  return rows;
}
