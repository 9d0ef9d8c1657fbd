// A training run does not grow: live tensors and resident memory after a later epoch equal those after the
// first (tensors exactly, RSS within 5%). The tiny model on a 12-image set, every batch an optimizer step
// (nbs = batch, so no gradient sums are pending at an epoch's end) and validation every epoch. The same
// measurement on YOLOv8n at batch 16, 320 px, 10 epochs is `npm run bench:train-memory`.
import { afterAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { synthDataset } from '../data/synth.js';
import { TINY_ARGS, writeTinyModelYaml } from './tiny-run.js';
import { train } from './train.js';

// RSS is compared after a full garbage collection: V8 otherwise lets its heap grow by ~15 MB an epoch
// before its first major collection, which is garbage, not growth.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'train-memory-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('live tensors and RSS do not grow from epoch 1 to epoch 6', async () => {
  await synthDataset({ out: path.join(tmp, 'data'), train: 12, val: 4, imgsz: 64, classes: 2, seed: 1 });
  const samples: { tensors: number; rss: number }[] = [];
  await train({
    ...TINY_ARGS, epochs: 6, nbs: TINY_ARGS.batch, close_mosaic: 0,
    model: writeTinyModelYaml(tmp), data: path.join(tmp, 'data', 'data.yaml'), project: tmp, name: 'run',
  }, {
    log: () => {},
    epoch: () => { collectGarbage(); samples.push({ tensors: tf.memory().numTensors, rss: process.memoryUsage().rss }); },
  });
  expect(samples).toHaveLength(6);
  const [first, last] = [samples[0]!, samples.at(-1)!];
  expect(samples.map((s) => s.tensors)).toEqual(samples.map(() => first.tensors));
  expect(last.rss / first.rss, `RSS MiB by epoch: ${samples.map((s) => (s.rss / 2 ** 20).toFixed(1)).join(', ')}`).toBeLessThan(1.05);
});
