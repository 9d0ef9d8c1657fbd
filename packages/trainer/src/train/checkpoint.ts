// Checkpoints as directories written atomically (temp dir, then rename):
//   model.json, weights.bin, model.yaml, build.json — the EMA model, loadable by `loadModel` like
//     Ultralytics' last.pt/best.pt whose `model` is the EMA (what val and predict use);
//   train-state.json       — epoch, best fitness, EMA updates, optimizer step, the run's args;
//   train-state.safetensors — (last only) raw model weights `model.*`, EMA state `ema.*`, optimizer
//     state `optim.*` and pending gradient sums `grad.*`, float32, so `--resume` continues exactly.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  readSafetensors, writeFileAtomic, writeDirAtomic, writeSafetensors, type TensorMap,
} from '@acmix-lab/runtime';
import { saveModel, type YoloModel } from '@acmix-lab/yolo';
import type { TrainConfig } from './config.js';

export interface TrainState {
  /** Last completed epoch, 0-based. */
  epoch: number;
  bestFitness: number | null;
  bestEpoch: number | null;
  emaUpdates: number;
  lastOptStep: number;
  /** Class names of the training data, so predict can name classes without the data.yaml. */
  names: string[];
  /**
   * The epoch's results.csv row at full precision, each value as String(x) (exact, and NaN/Infinity survive
   * JSON); results.csv keeps 5 significant digits. Absent in checkpoints from before it was recorded.
   */
  row?: Record<string, string>;
  date: string;
  trainArgs: TrainConfig;
}

/** Named tensors grouped by prefix: model, ema, optim, grad. */
export type StateTensors = Record<'model' | 'ema' | 'optim' | 'grad', tf.NamedTensorMap>;

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

async function toTensorMap(groups: StateTensors): Promise<TensorMap> {
  const out: TensorMap = new Map();
  for (const [prefix, tensors] of Object.entries(groups)) {
    for (const [name, t] of Object.entries(tensors)) {
      const data = await t.data();
      const array = t.dtype === 'int32' ? { dtype: 'I32' as const, data: data as Int32Array } : { dtype: 'F32' as const, data: data as Float32Array };
      out.set(`${prefix}.${name}`, { ...array, shape: t.shape });
    }
  }
  return out;
}

export async function saveCheckpoint(dir: string, emaModel: YoloModel, state: TrainState, tensors?: StateTensors): Promise<void> {
  const map = tensors ? await toTensorMap(tensors) : null;
  await writeDirAtomic(dir, async (tmp) => {
    await saveModel(emaModel, tmp); // replaces the empty temp dir with the model files
    writeFileAtomic(path.join(tmp, 'train-state.json'), `${JSON.stringify(state, null, 2)}\n`);
    if (map) writeSafetensors(path.join(tmp, 'train-state.safetensors'), map, { format: 'acmix-lab' });
  });
}

export function readTrainState(dir: string): TrainState {
  const file = path.join(dir, 'train-state.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TrainState;
  } catch (err) {
    throw new CheckpointError(`${file}: cannot read the training state (${(err as Error).message}); is ${dir} a checkpoint?`);
  }
}

/** Class names recorded in a checkpoint directory, or null when `dir` is not a checkpoint. */
export function checkpointNames(dir: string): string[] | null {
  const file = path.join(dir, 'train-state.json');
  if (!fs.existsSync(file)) return null;
  const names = (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<TrainState>).names;
  return Array.isArray(names) ? names : null;
}

/** Tensors of `weights/last` regrouped by prefix; the caller disposes them. */
export function readStateTensors(dir: string): StateTensors {
  const file = path.join(dir, 'train-state.safetensors');
  if (!fs.existsSync(file)) throw new CheckpointError(`${file}: missing; only weights/last can be resumed`);
  const groups: StateTensors = { model: {}, ema: {}, optim: {}, grad: {} };
  for (const [key, t] of readSafetensors(file)) {
    const dot = key.indexOf('.');
    const prefix = key.slice(0, dot) as keyof StateTensors;
    if (!(prefix in groups)) throw new CheckpointError(`${file}: unexpected tensor "${key}"`);
    groups[prefix][key.slice(dot + 1)] = t.dtype === 'I32'
      ? tf.tensor(t.data as Int32Array, t.shape, 'int32')
      : tf.tensor(t.data as Float32Array, t.shape, 'float32');
  }
  return groups;
}
