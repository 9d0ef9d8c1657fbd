import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { bboxToDist, distToBbox } from './distance.js';

describe('box coding (Ultralytics tal.dist2bbox, bbox2dist)', () => {
  beforeAll(async () => { await initBackend(); });

  it('turns distances into xyxy or xywh boxes and back, clamping to [0, regMax − 0.01]', () => {
    tf.tidy(() => {
      const anchor = tf.tensor2d([[2.5, 1.5]]);
      const xyxy = distToBbox(tf.tensor2d([[1, 0.5, 3, 2]]), anchor, false);
      expect(Array.from(xyxy.dataSync())).toEqual([1.5, 1, 5.5, 3.5]);
      expect(Array.from(distToBbox(tf.tensor2d([[1, 0.5, 3, 2]]), anchor).dataSync())).toEqual([3.5, 2.25, 4, 2.5]);
      expect(Array.from(bboxToDist(anchor, xyxy, 15).dataSync())).toEqual([1, 0.5, 3, 2]);
      const clamped = bboxToDist(anchor, tf.tensor2d([[3, -30, 1, 2]]), 15).dataSync();
      expect(clamped[0]).toBe(0); // anchor left of x1
      expect(clamped[1]).toBeCloseTo(14.99, 5);
    });
  });
});
