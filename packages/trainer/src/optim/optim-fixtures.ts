// Test support: the committed PyTorch fixtures of tools/fixtures/optim_fixtures.py (not exported).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, requireTensor } from '@acmix-lab/runtime';
import type { OptimHyp } from './build.js';

const DIR = fileURLToPath(new URL('../../fixtures/optim/', import.meta.url));
const FILE = DIR + 'optim.safetensors';

export interface LoopFixture {
  hyp: OptimHyp;
  nb: number;
  ema_updates: number;
  optimizer: 'SGD' | 'AdamW';
  lr0: number;
  optimizer_momentum: number;
  weight_decay: number;
  /** Parameter names per torch param_group. */
  groups: string[][];
  lines: string[];
  ema_decays: number[];
  lr: number[][];
  momentum: number[];
  stepped: boolean[];
  accumulate: number[];
  grad_norm: (number | null)[];
}

export interface ScheduleFixture {
  hyp: OptimHyp;
  nb: number;
  nc: number;
  n_images: number;
  nw: number;
  optimizer: 'SGD' | 'AdamW';
  lr: number;
  momentum: number;
  warmup_bias_lr: number;
  weight_decay: number;
  iterations: number;
  lines: string[];
  /** [ni, epoch, lr pg0, lr pg1, lr pg2, momentum (β1 for AdamW), accumulate] */
  rows: number[][];
}

export interface OptimFixtures {
  n_iters: number;
  scales: number[];
  /** Parameter names in named_parameters order. */
  param_order: string[];
  /** Floating-point state_dict names (parameters and BN running statistics). */
  state_keys: string[];
  loops: Record<string, LoopFixture>;
  schedules: Record<string, ScheduleFixture>;
}

export const fixtures = JSON.parse(readFileSync(DIR + 'optim.json', 'utf8')) as OptimFixtures;
const tensors = readSafetensors(FILE);

/** A fixture tensor; `index` selects one iteration of a stacked [N_ITERS, …] entry. */
export function fixtureTensor(name: string, index?: number): tf.Tensor {
  const t = requireTensor(tensors, name, FILE);
  const data = t.data as Float32Array;
  if (index === undefined) return tf.tensor(data, t.shape, 'float32');
  const shape = t.shape.slice(1);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(data.subarray(index * size, (index + 1) * size), shape, 'float32');
}

