import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { fileURLToPath } from 'node:url';
import { bitDifferences, countLeakedTensors, initBackend, readSafetensors, requireTensor, withEnv, type TensorMap } from '@acmix-lab/runtime';
import { v8DetectionLoss, type DetectionLossResult } from './detection-loss.js';
import type { DetectionTargets } from './targets.js';

/** max |a − b| / max |b|: the project's parity measure. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-12);
}

// Made by tools/fixtures/loss_fixtures.py, a PyTorch port of Ultralytics 8.1/8.2's v8DetectionLoss.
function loadCase(name: string) {
  const file = fileURLToPath(new URL(`../../fixtures/loss/${name}.safetensors`, import.meta.url));
  const map: TensorMap = readSafetensors(file);
  const get = (key: string) => requireTensor(map, key, file);
  const fs = Array.from(get('feature_sizes').data as Int32Array);
  const featureSizes: [number, number][] = [];
  for (let i = 0; i < fs.length; i += 2) featureSizes.push([fs[i]!, fs[i + 1]!]);
  const targets: DetectionTargets = {
    batchIndex: get('batch_idx').data as Int32Array,
    cls: get('cls').data as Int32Array,
    boxes: get('bboxes').data as Float32Array,
  };
  return {
    preds: get('preds'),
    featureSizes,
    strides: Array.from(get('strides').data as Int32Array),
    nc: (get('nc').data as Int32Array)[0]!,
    targets,
    get,
  };
}

function lossAndGrad(c: ReturnType<typeof loadCase>) {
  const preds = tf.tensor(c.preds.data as Float32Array, c.preds.shape);
  let result: DetectionLossResult | undefined;
  const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => {
    result = v8DetectionLoss(p, c.featureSizes, c.targets, { nc: c.nc, strides: c.strides });
    return result.loss;
  })(preds);
  const out = { loss: value.dataSync()[0]!, grad: grad.dataSync() as Float32Array, result: result! };
  tf.dispose([preds, value, grad]);
  return out;
}

describe('v8DetectionLoss against the PyTorch port of Ultralytics', () => {
  beforeAll(async () => { await initBackend(); });

  // The four-level cases are yolov8-p2's P2–P5 (strides 4–32) and yolov8-p6's P3–P6 (8–64) grids.
  for (const name of ['single', 'overlap', 'p2-four-levels', 'p6-four-levels']) {
    it(`${name}: assigner targets, loss items, total and d loss / d preds`, () => {
      const c = loadCase(name);
      const { loss, grad, result } = lossAndGrad(c);
      const { assignment: got, items } = result;
      const fg = c.get('fg_mask').data as Int32Array;
      const gtIdx = c.get('target_gt_idx').data as Int32Array;
      const labels = c.get('target_labels').data as Int32Array;
      const boxes = c.get('target_bboxes').data as Float32Array;
      let fgCount = 0;
      for (let i = 0; i < fg.length; i++) {
        expect(got.fgMask[i], `fg_mask[${i}]`).toBe(fg[i]);
        expect(got.targetGtIdx[i], `target_gt_idx[${i}]`).toBe(gtIdx[i]);
        expect(got.targetLabels[i], `target_labels[${i}]`).toBe(labels[i]);
        expect(Array.from(got.targetBboxes.subarray(4 * i, 4 * i + 4)), `target_bboxes[${i}]`)
          .toEqual(Array.from(boxes.subarray(4 * i, 4 * i + 4)));
        fgCount += fg[i]!;
      }
      expect(fgCount).toBeGreaterThan(10);
      // Ultralytics' (B, A, nc) target_scores is fgScores at class targetLabels.
      const scores = new Float32Array(got.targetLabels.length * c.nc);
      got.fgScores.forEach((s, i) => { if (s) scores[i * c.nc + got.targetLabels[i]!] = s; });
      expect(relativeError(scores, c.get('target_scores').data as Float32Array)).toBeLessThan(1e-4);
      const want = c.get('items').data as Float32Array;
      expect(relativeError([items.box, items.cls, items.dfl], want)).toBeLessThan(1e-4);
      expect(Math.abs(loss - (c.get('loss').data as Float32Array)[0]!)).toBeLessThan(1e-4 * Math.abs(loss));
      expect(relativeError(grad, c.get('grad').data as Float32Array)).toBeLessThan(1e-4);
    });
  }

  it.each(['overlap', 'p2-four-levels'])('%s: the candidates\' decode gives the assignment, loss and gradient of every anchor\'s, bit for bit', (name) => {
    const c = loadCase(name);
    const candidates = lossAndGrad(c);
    const all = withEnv('ACMIX_LAB_CANDIDATE_DECODE', '0', () => lossAndGrad(c));
    expect(candidates.result.assignment).toEqual(all.result.assignment);
    expect(candidates.loss).toBe(all.loss);
    expect(bitDifferences(candidates.grad, all.grad)).toBe(0);
  });

  it('a batch without boxes: only the class loss, Σ softplus(logit) with target-score sum 1', () => {
    // B = 2, one 2×2 level (A = 4), nc = 2, regMax 16: every target is background.
    const preds = tf.randomNormal([2, 4, 66], 0, 2, 'float32', 7);
    const empty = { batchIndex: new Int32Array(0), cls: new Int32Array(0), boxes: new Float32Array(0) };
    let items = { box: NaN, cls: NaN, dfl: NaN };
    const { value, grad } = tf.valueAndGrad((p: tf.Tensor) => {
      const r = v8DetectionLoss(p, [[2, 2]], empty, { nc: 2, strides: [8] });
      items = r.items;
      return r.loss;
    })(preds);
    const x = preds.dataSync();
    const g = grad.dataSync();
    let softplus = 0;
    for (let i = 0; i < x.length; i++) {
      const isClass = i % 66 >= 64;
      if (isClass) softplus += Math.log1p(Math.exp(x[i]!));
      // d(0.5 · Σ softplus · B) / dx = 0.5 · 2 · sigmoid(x) on class channels, 0 on box channels
      expect(g[i]).toBeCloseTo(isClass ? 1 / (1 + Math.exp(-x[i]!)) : 0, 5);
    }
    expect(items.box).toBe(0);
    expect(items.dfl).toBe(0);
    expect(items.cls).toBeCloseTo(0.5 * softplus, 3);
    expect(value.dataSync()[0]).toBeCloseTo(2 * 0.5 * softplus, 3);
    tf.dispose([preds, value, grad]);
  });

  it('names the mismatch when preds or targets do not fit', () => {
    const preds = tf.zeros([1, 4, 66]);
    const one = (cls: number, b = 0) => ({ batchIndex: Int32Array.from([b]), cls: Int32Array.from([cls]), boxes: Float32Array.from([0.5, 0.5, 0.2, 0.2]) });
    expect(() => v8DetectionLoss(preds, [[2, 3]], one(0), { nc: 2, strides: [8] })).toThrow(/preds shape \[1,4,66\] does not match \[B, 6, 66\]/);
    expect(() => v8DetectionLoss(preds, [[2, 2]], one(2), { nc: 2, strides: [8] })).toThrow(/targets row 0: cls 2 outside \[0, 2\)/);
    expect(() => v8DetectionLoss(preds, [[2, 2]], one(0, 1), { nc: 2, strides: [8] })).toThrow(/batchIndex 1 outside \[0, 1\)/);
    preds.dispose();
  });

  it('leaks no tensors across the loss and its gradient', async () => {
    const c = loadCase('overlap');
    const preds = tf.tensor(c.preds.data as Float32Array, c.preds.shape);
    const leaked = await countLeakedTensors(() => {
      const { value, grad } = tf.valueAndGrad((p: tf.Tensor) =>
        v8DetectionLoss(p, c.featureSizes, c.targets, { nc: c.nc }).loss)(preds);
      return [value, grad];
    });
    // forward only (validation loss): nothing is saved for a backward pass that never comes
    const leakedForward = await countLeakedTensors(() => v8DetectionLoss(preds, c.featureSizes, c.targets, { nc: c.nc }).loss);
    preds.dispose();
    expect(leaked).toBe(0);
    expect(leakedForward).toBe(0);
  });
});
