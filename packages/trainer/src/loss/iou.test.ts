import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { bboxIou, type BboxIouOptions } from './iou.js';

function iouOf(a: number[], b: number[], options: BboxIouOptions): number {
  return tf.tidy(() => bboxIou(tf.tensor2d([a]), tf.tensor2d([b]), options).dataSync()[0]!);
}

describe('bboxIou (Ultralytics metrics.bbox_iou)', () => {
  beforeAll(async () => { await initBackend(); });

  it('is 1 for identical boxes, for every variant', () => {
    for (const kind of [{}, { GIoU: true }, { DIoU: true }, { CIoU: true }]) {
      expect(iouOf([3, 5, 13, 9], [3, 5, 13, 9], { xywh: false, ...kind })).toBeCloseTo(1, 6);
    }
  });

  it('disjoint boxes: IoU 0, GIoU −1/3, DIoU = CIoU = −0.4', () => {
    // [0,0,2,2] and [4,0,6,2]: hull 6×2 (area 12, diagonal² 40), union 8, centres 4 apart (ρ² = 16).
    const a = [0, 0, 2, 2];
    const b = [4, 0, 6, 2];
    expect(iouOf(a, b, { xywh: false })).toBeCloseTo(0, 7);
    expect(iouOf(a, b, { xywh: false, GIoU: true })).toBeCloseTo(-1 / 3, 6);
    expect(iouOf(a, b, { xywh: false, DIoU: true })).toBeCloseTo(-0.4, 6);
    expect(iouOf(a, b, { xywh: false, CIoU: true })).toBeCloseTo(-0.4, 6); // same aspect: v = 0
  });

  it('nested boxes of different aspect: CIoU by hand', () => {
    // outer [0,0,4,2] (4×2), inner [1,0.5,2,1.5] (1×1): IoU = 1/8; centres (2,1) and (1.5,1): ρ² = 1/4;
    // hull = outer, c² = 16 + 4 = 20; v = 4/π²·(atan 1 − atan 2)²; alpha = v / (v − IoU + 1).
    const outer = [0, 0, 4, 2];
    const inner = [1, 0.5, 2, 1.5];
    const v = (4 / Math.PI ** 2) * (Math.PI / 4 - Math.atan(2)) ** 2;
    const ciou = 1 / 8 - 0.25 / 20 - v * (v / (v - 1 / 8 + 1));
    expect(ciou).toBeCloseTo(0.11058, 5);
    expect(iouOf(outer, inner, { xywh: false })).toBeCloseTo(1 / 8, 6);
    expect(iouOf(outer, inner, { xywh: false, CIoU: true })).toBeCloseTo(ciou, 6);
    // the same boxes as (cx, cy, w, h)
    expect(iouOf([2, 1, 4, 2], [1.5, 1, 1, 1], { CIoU: true })).toBeCloseTo(ciou, 6);
  });

  it('broadcasts (N, 1, 4) against (1, M, 4) to (N, M, 1)', () => {
    const out = tf.tidy(() => {
      const r = bboxIou(tf.tensor3d([[[0, 0, 2, 2]], [[0, 0, 4, 4]]]), tf.tensor3d([[[0, 0, 2, 2], [0, 0, 1, 1], [8, 8, 9, 9]]]),
        { xywh: false });
      return { shape: r.shape, data: Array.from(r.dataSync()) };
    });
    expect(out.shape).toEqual([2, 3, 1]);
    [1, 0.25, 0, 0.25, 1 / 16, 0].forEach((want, i) => expect(out.data[i]).toBeCloseTo(want, 6));
  });

  it('treats CIoU alpha as a constant in the gradient, as torch.no_grad does', () => {
    // d CIoU / d x2 of the inner box, against central differences of CIoU with alpha frozen at its value.
    const outer = [0, 0, 4, 2];
    const frozen = (x2: number) => {
      const w = x2 - 1;
      const inter = w * 1;
      const iou = inter / (8 + w * 1 - inter);
      const rho2 = ((1 + x2 - 4) ** 2) / 4;
      const v = (4 / Math.PI ** 2) * (Math.atan(w) - Math.atan(2)) ** 2;
      const v0 = (4 / Math.PI ** 2) * (Math.PI / 4 - Math.atan(2)) ** 2;
      const alpha0 = v0 / (v0 - 1 / 8 + 1);
      return iou - rho2 / 20 - v * alpha0;
    };
    const h = 1e-4;
    const want = (frozen(2 + h) - frozen(2 - h)) / (2 * h);
    const got = tf.tidy(() => tf.grad((b: tf.Tensor) => bboxIou(tf.tensor2d([outer]), b, { xywh: false, CIoU: true }).sum())(
      tf.tensor2d([[1, 0.5, 2, 1.5]])).dataSync()[2]!);
    expect(got).toBeCloseTo(want, 4);
  });
});
