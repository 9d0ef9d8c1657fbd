// One YOLOv8 training run, Ultralytics' engine/trainer.py loop (v8.1/8.2): build the model for the
// dataset's classes, train with the v8 loss, the optimizer loop (warmup, accumulation to nbs, clip,
// EMA), validate the EMA after every epoch, write results.csv / results.png / weights/{last,best}.
// Configured by plain data (TrainConfig) and reporting through callbacks, so a CLI, a sweep
// orchestrator or a worker process can drive it the same way.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { trimNativeHeap } from '@acmix-lab/acmix';
import { initBackend } from '@acmix-lab/runtime';
import { buildModel, modelImgsz, modelSummary, type YoloModel } from '@acmix-lab/yolo';
import { DEFAULT_AUGMENT, type AugmentHyp } from '../data/augment.js';
import { loadDataYaml, type LocalPath } from '../data/data-yaml.js';
import { DataLoader, mosaicForEpoch } from '../data/loader.js';
import { scanSplit } from '../data/scan.js';
import type { LossGains } from '../loss/detection-loss.js';
import { validate, type ValidationReport } from '../val/validate.js';
import { readStateTensors, saveCheckpoint, type TrainState } from './checkpoint.js';
import { resolveTrainConfig, writeTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { variablesByKey } from './model-state.js';
import { truncateResults, writeResultsRow, type ResultsRow } from './results-csv.js';
import { writeResultsPng } from './results-plot.js';
import { planResume, type ResumeInput } from './resume.js';
import { resolveRunDir, runFiles, type RunFiles } from './run-dir.js';
import { TrainingStep } from './step.js';

export interface BatchProgress {
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Running mean of the gained losses this epoch (Ultralytics' tloss). */
  losses: LossGains;
  instances: number;
  imgsz: number;
  itPerSec: number;
}

export interface EpochReport {
  /** 1-based, as in results.csv. */
  epoch: number;
  epochs: number;
  row: ResultsRow;
  fitness: number;
  best: boolean;
  seconds: number;
}

/** What a run is, once its model is built and before its first batch. */
export interface TrainStart {
  saveDir: string;
  /** The backend in use, `tensorflow` or `cpu`. */
  backend: string;
  params: number;
  gflops: number;
  /** The epoch (1-based) training starts at: 1, or the first after the checkpoint when resuming. */
  startEpoch: number;
  epochs: number;
}

export interface TrainHooks {
  log?: (line: string) => void;
  start?: (s: TrainStart) => void;
  batch?: (p: BatchProgress) => void;
  /**
   * After the epoch is committed: results.csv, weights/best and weights/last (the commit point, written
   * last) all hold it. A kill before this call loses nothing a resume cannot redo or read back
   * (`committedResults`).
   */
  epoch?: (r: EpochReport) => void;
  /** Stops after the current batch; the last complete epoch stays resumable. */
  signal?: AbortSignal;
  /**
   * Where the dataset's absolute paths (config.data, and those in the data.yaml) are on this machine (a queue
   * worker's data map); config.data and args.yaml keep the path as given, so another machine can resume the run.
   */
  localPath?: LocalPath;
}

export interface TrainResult {
  saveDir: string;
  files: RunFiles;
  epochsRun: number;
  bestFitness: number;
  bestEpoch: number;
  final: ValidationReport | null;
  params: number;
  gflops: number;
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

const AUGMENT_KEYS = Object.keys(DEFAULT_AUGMENT) as (keyof AugmentHyp)[];

/** The run's config: fresh from the input, or args.yaml of the run being resumed with its checkpoint state. */
function prepareRun(input: TrainConfigInput | ResumeInput): { config: TrainConfig; files: RunFiles; resumed: TrainState | null } {
  if (input.resume) {
    const { config, files, state } = planResume(input as ResumeInput);
    return { config, files, resumed: state };
  }
  const config = resolveTrainConfig(input as TrainConfigInput);
  return { config, files: runFiles(resolveRunDir(config.project, config.name, config.exist_ok)), resumed: null };
}

/**
 * Trains a new run, or resumes one (`resume: true` with project/name or model=<run>/weights/last, or
 * `resume: <run folder or its weights/last>`; see resume.ts). Resuming a finished run throws RunFinishedError.
 */
export async function train(input: TrainConfigInput | ResumeInput, hooks: TrainHooks = {}): Promise<TrainResult> {
  const log = hooks.log ?? ((line: string) => console.log(line));
  const { config, files, resumed } = prepareRun(input);
  // TensorFlow reads this when its kernels first run: set before the native backend loads.
  if (config.deterministic) process.env.TF_DETERMINISTIC_OPS ??= '1';
  const backend = await initBackend(config.backend ?? undefined);
  config.backend = backend.backend;

  const data = loadDataYaml(config.data, hooks.localPath);
  const trainSplit = scanSplit(data.train, data.nc, { prefix: 'train', log, strict: config.strict });
  const valSplit = scanSplit(data.val, data.nc, { prefix: 'val', log, strict: config.strict });
  const build = { scale: config.model_scale ?? undefined, nc: data.nc, imgsz: config.imgsz, seed: config.seed };
  let model = buildModel(config.model, build);
  // trainer.py _setup_train: imgsz = check_imgsz(imgsz, stride=gs) (a P3–P6 model needs multiples of 64).
  const imgsz = modelImgsz(model, config.imgsz, log);
  if (imgsz !== config.imgsz) {
    config.imgsz = build.imgsz = imgsz;
    model.dispose();
    model = buildModel(config.model, build);
  }
  const emaModel = buildModel(config.model, build);
  const summary = modelSummary(model, config.imgsz);
  config.model_scale = model.scale;
  fs.mkdirSync(files.weights, { recursive: true });
  if (!resumed) writeTrainConfig(files.args, config);

  const hyp = Object.fromEntries(AUGMENT_KEYS.map((k) => [k, config[k as keyof TrainConfig]])) as unknown as AugmentHyp;
  const trainLoader = new DataLoader({ items: trainSplit.items, imgsz: config.imgsz, batchSize: config.batch, augment: true, hyp, seed: config.seed, workers: config.workers });
  // Ultralytics validates with batch·2 during training.
  const valLoader = new DataLoader({ items: valSplit.items, imgsz: config.imgsz, batchSize: config.batch * 2, augment: false, seed: config.seed, workers: config.workers });
  const nb = trainLoader.length;

  const step = new TrainingStep(model, config, { nc: data.nc, images: trainSplit.items.length, nb });
  step.log.forEach((line) => log(line));
  const emaTargets = variablesByKey(emaModel);

  let startEpoch = 0;
  let bestFitness = -Infinity;
  let bestEpoch = -1;
  if (resumed) {
    const tensors = readStateTensors(files.last);
    try {
      const vars = variablesByKey(model);
      for (const [key, t] of Object.entries(tensors.model)) vars[key]!.assign(t);
      step.ema.importState({ state: tensors.ema, updates: resumed.emaUpdates });
      step.loop.importState({ optimizer: tensors.optim, pendingGrads: tensors.grad, lastOptStep: resumed.lastOptStep });
    } finally {
      tf.dispose([tensors.model, tensors.ema, tensors.optim, tensors.grad]);
    }
    startEpoch = resumed.epoch + 1;
    // A kill after results.csv got an epoch and before weights/last did leaves a row the checkpoint
    // does not cover; that epoch is trained again, so the row goes.
    truncateResults(files.results, startEpoch);
    bestFitness = resumed.bestFitness ?? -Infinity;
    bestEpoch = resumed.bestEpoch ?? -1;
    log(`Resuming training from ${files.last} from epoch ${startEpoch + 1} to ${config.epochs} total epochs`);
  }
  log(`Image sizes ${config.imgsz} train, ${config.imgsz} val; ${trainLoader.workers} dataloader workers; backend ${backend.backend}`);
  log(`Logging results to ${files.dir}`);
  log(`Starting training for ${config.epochs} epochs...`);
  hooks.start?.({
    saveDir: files.dir, backend: backend.backend, params: summary.params, gflops: summary.gflops, startEpoch: startEpoch + 1, epochs: config.epochs,
  });

  let final: ValidationReport | null = null;
  let epochsRun = 0;
  try {
    for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      const t0 = performance.now();
      const mosaic = mosaicForEpoch(epoch, config.epochs, config.close_mosaic); // hyp.mosaic is the probability
      if (config.close_mosaic > 0 && epoch === config.epochs - config.close_mosaic) log('Closing dataloader mosaic');
      step.loop.beginEpoch();
      const tloss: LossGains = { box: 0, cls: 0, dfl: 0 };
      let lastLr: [number, number, number] = [0, 0, 0];
      let i = 0;
      for await (const batch of trainLoader.epoch(epoch, { mosaic })) {
        if (hooks.signal?.aborted) throw hooks.signal.reason ?? new Error('training aborted');
        const { loss, items, outcome } = step.run(batch, i + nb * epoch, epoch);
        if (!outcome) {
          throw new TrainingDivergedError(`epoch ${epoch + 1} batch ${i + 1}: loss is ${loss}; stopped. ` +
            `The last good checkpoint is ${fs.existsSync(files.last) ? files.last : '(none yet)'}`);
        }
        lastLr = outcome.hyper.lr;
        for (const k of ['box', 'cls', 'dfl'] as const) tloss[k] = (tloss[k] * i + items[k]) / (i + 1);
        i += 1;
        hooks.batch?.({ epoch: epoch + 1, epochs: config.epochs, batch: i, batches: nb, losses: { ...tloss }, instances: batch.targets.cls.length, imgsz: batch.imgsz, itPerSec: (i * 1000) / (performance.now() - t0) });
      }

      step.ema.copyTo(emaTargets);
      const finalEpoch = epoch + 1 === config.epochs;
      const report = config.val || finalEpoch
        ? await validate(emaModel, valLoader, { nc: data.nc, iou: config.iou, maxDet: config.max_det, gains: config })
        : null;
      const m = report?.metrics;
      const row: ResultsRow = {
        epoch: epoch + 1,
        'train/box_loss': tloss.box, 'train/cls_loss': tloss.cls, 'train/dfl_loss': tloss.dfl,
        'metrics/precision(B)': m?.mp ?? 0, 'metrics/recall(B)': m?.mr ?? 0,
        'metrics/mAP50(B)': m?.map50 ?? 0, 'metrics/mAP50-95(B)': m?.map ?? 0,
        'val/box_loss': report?.losses.box ?? 0, 'val/cls_loss': report?.losses.cls ?? 0, 'val/dfl_loss': report?.losses.dfl ?? 0,
        'lr/pg0': lastLr[0], 'lr/pg1': lastLr[1], 'lr/pg2': lastLr[2],
      };
      const fitness = m?.fitness ?? 0;
      const isBest = fitness > bestFitness || bestEpoch < 0;
      if (isBest) {
        bestFitness = fitness;
        bestEpoch = epoch;
      }
      // weights/last is the commit point, so it is written last: what a kill leaves before it (a results.csv
      // row, weights/best) belongs to an epoch the resume trains again (deterministically the same) and rewrites.
      const rows = writeResultsRow(files.results, row);
      if (config.plots) writeResultsPng(files.plot, rows);
      const exactRow = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)]));
      await saveCheckpoints(files, emaModel, { epoch, bestFitness, bestEpoch, trainArgs: config, names: data.names, row: exactRow }, model, step, isBest);
      final = report;
      epochsRun += 1;
      // The epoch's freed native blocks (checkpoint and validation buffers among them) stay resident in
      // glibc's heap otherwise: RSS crept up 7.8% over 10 epochs of YOLOv8n with live tensors constant
      // (docs/benchmarks.md, bench:train-memory).
      trimNativeHeap();
      hooks.epoch?.({ epoch: epoch + 1, epochs: config.epochs, row, fitness, best: isBest, seconds: (performance.now() - t0) / 1000 });
      if (epoch - bestEpoch >= config.patience) {
        log(`Stopping training early as no improvement observed in last ${config.patience} epochs. Best results observed at epoch ${bestEpoch + 1}.`);
        break;
      }
    }
  } finally {
    await Promise.all([trainLoader.close(), valLoader.close()]);
    step.dispose();
    model.dispose();
    emaModel.dispose();
  }
  return {
    saveDir: files.dir, files, epochsRun, bestFitness, bestEpoch: bestEpoch + 1, final,
    params: summary.params, gflops: summary.gflops,
  };
}

/** weights/best (when the epoch is the best) and then weights/last, with everything `--resume` needs. */
async function saveCheckpoints(
  files: RunFiles, emaModel: YoloModel, progress: Pick<TrainState, 'epoch' | 'bestFitness' | 'bestEpoch' | 'trainArgs' | 'names' | 'row'>,
  model: YoloModel, step: TrainingStep, isBest: boolean,
): Promise<void> {
  const loopState = step.loop.exportState();
  const emaState = step.ema.exportState();
  const state: TrainState = { ...progress, emaUpdates: emaState.updates, lastOptStep: loopState.lastOptStep, date: new Date().toISOString() };
  const tensors = { model: variablesByKey(model), ema: emaState.state, optim: loopState.optimizer, grad: loopState.pendingGrads };
  try {
    if (isBest) await saveCheckpoint(files.best, emaModel, state);
    await saveCheckpoint(files.last, emaModel, state, tensors);
  } finally {
    tf.dispose([emaState.state, loopState.optimizer, loopState.pendingGrads]);
  }
}
