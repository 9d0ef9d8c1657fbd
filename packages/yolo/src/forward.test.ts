// `acmix-lab forward` parity against PyTorch, through its library function:
// - every case the ACmix helper wrote under packages/acmix/fixtures (official ACmix module);
// - whole-model fixtures under packages/yolo/fixtures/torch, written by tools/fixtures/yolo_torch.py:
//   the `ultralytics` package cannot be installed here, so that script is our own small PyTorch builder of
//   the same yaml following Ultralytics 8.1/8.2 parse_model and modules (state_dict keys included); its
//   weights have random BatchNorm statistics, and the models run in eval mode and in train mode.
// Measure: max |ours − torch| / max |torch| ≤ 1e-4 per tensor.
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, readSafetensors, type NamedArray, type TensorMap } from '@acmix-lab/runtime';
import { runForward } from './forward.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const acmixFixtures = path.resolve(here, '../../acmix/fixtures');
const yoloFixtures = path.resolve(here, '../fixtures/torch');
const casesIn = (dir: string) => fs.readdirSync(dir).filter((c) => fs.existsSync(path.join(dir, c, 'model.yaml'))).sort();
const out = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'forward-')), 'r.safetensors');

function maxAbs(a: NamedArray): number {
  let m = 0;
  for (const v of a.data as Float32Array) m = Math.max(m, Math.abs(v));
  return m;
}

function relError(got: NamedArray, exp: NamedArray): number {
  let d = 0;
  for (let i = 0; i < exp.data.length; i++) d = Math.max(d, Math.abs((got.data[i] as number) - (exp.data[i] as number)));
  return d / maxAbs(exp);
}

function expectParity(got: TensorMap, expected: TensorMap): void {
  expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, exp] of expected) {
    const g = got.get(key)!;
    expect(g.shape, key).toEqual(exp.shape);
    if (key.endsWith('.conv_p.bias')) {
      // Analytically zero (the bias cancels in pe_center − pe_window); PyTorch's value is round-off.
      expect(maxAbs(g), key).toBe(0);
      expect(maxAbs(exp), key).toBeLessThan(1e-5 * maxAbs(expected.get(key.replace('.bias', '.weight'))!));
    } else {
      expect(relError(g, exp), key).toBeLessThan(1e-4);
    }
  }
}

const files = (dir: string) => ({
  model: path.join(dir, 'model.yaml'), weights: path.join(dir, 'weights.safetensors'), input: path.join(dir, 'input.safetensors'),
});

describe('forward parity with PyTorch', () => {
  beforeAll(async () => { await initBackend(); });

  it.each(casesIn(acmixFixtures))('ACmix case %s: output and every gradient', async (name) => {
    const dir = path.join(acmixFixtures, name);
    const before = tf.memory().numTensors;
    const r = out();
    await runForward({ ...files(dir), grad: path.join(dir, 'grad.safetensors'), out: r });
    expect(tf.memory().numTensors).toBe(before);
    expectParity(readSafetensors(r), readSafetensors(path.join(dir, 'expected.safetensors')));
  });

  it.each(casesIn(yoloFixtures))('whole model %s: eval-mode output from an imported state_dict', async (name) => {
    const dir = path.join(yoloFixtures, name);
    const r = out();
    await runForward({ ...files(dir), out: r });
    expectParity(readSafetensors(r), readSafetensors(path.join(dir, 'expected.safetensors')));
  });

  it.each(casesIn(yoloFixtures))('whole model %s: train-mode output (and gradients when recorded)', async (name) => {
    const dir = path.join(yoloFixtures, name);
    const grad = path.join(dir, 'grad.safetensors');
    const r = out();
    await runForward({ ...files(dir), out: r, train: true, grad: fs.existsSync(grad) ? grad : undefined });
    expectParity(readSafetensors(r), readSafetensors(path.join(dir, 'expected-train.safetensors')));
  });
});
