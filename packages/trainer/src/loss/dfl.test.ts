import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '@acmix-lab/runtime';
import { decodeDistribution, dfLoss } from './dfl.js';

// A 1-D toy with 4 bins: logits [0, ln 2, 0, 0] give probabilities [1/5, 2/5, 1/5, 1/5].
const TOY = [0, Math.log(2), 0, 0];

/** DFL of four sides sharing the toy logits, one target per side. */
function dflOf(targets: number[]): number {
  return tf.tidy(() => dfLoss(tf.tensor2d([[...TOY, ...TOY, ...TOY, ...TOY]]), tf.tensor2d([targets]), 4).dataSync()[0]!);
}

describe('DFL (Ultralytics DFLoss / bbox_decode)', () => {
  beforeAll(async () => { await initBackend(); });

  it('decodes the expected bin: Σ i·p_i', () => {
    const got = tf.tidy(() => Array.from(decodeDistribution(tf.tensor2d([[...TOY, 0, 0, 0, 0, ...TOY, 5, 0, 0, 0]]), 4).dataSync()));
    // uniform → 1.5; [5, 0, 0, 0] → (1 + 2 + 3) / (e⁵ + 3)
    [7 / 5, 1.5, 7 / 5, 6 / (Math.exp(5) + 3)].forEach((want, i) => expect(got[i]).toBeCloseTo(want, 6));
  });

  it('weights the two bins around the target: 0.75·CE(1) + 0.25·CE(2) at 1.25', () => {
    const want = 0.75 * -Math.log(2 / 5) + 0.25 * -Math.log(1 / 5); // 1.08958
    expect(dflOf([1.25, 1.25, 1.25, 1.25])).toBeCloseTo(want, 5);
    // averaged over the four sides
    expect(dflOf([1.25, 0, 1.25, 0])).toBeCloseTo((2 * want + 2 * -Math.log(1 / 5)) / 4, 5);
  });

  it('clamps the target to [0, regMax − 1 − 0.01]', () => {
    // 3.5 → 2.99: 0.01·CE(2) + 0.99·CE(3); −1 → 0: CE(0).
    const high = 0.01 * -Math.log(1 / 5) + 0.99 * -Math.log(1 / 5);
    expect(dflOf([3.5, 3.5, -1, -1])).toBeCloseTo((2 * high + 2 * -Math.log(1 / 5)) / 4, 5);
  });

  it('has gradient (softmax − soft target) / 4 per side', () => {
    const g = tf.tidy(() => Array.from(tf.grad((x: tf.Tensor) => dfLoss(x, tf.tensor2d([[1.25, 1.25, 1.25, 1.25]]), 4).sum())(
      tf.tensor2d([[...TOY, ...TOY, ...TOY, ...TOY]])).dataSync()));
    const want = [0.2, 0.4 - 0.75, 0.2 - 0.25, 0.2].map((v) => v / 4);
    for (let i = 0; i < 16; i++) expect(g[i]).toBeCloseTo(want[i % 4]!, 6);
  });
});
