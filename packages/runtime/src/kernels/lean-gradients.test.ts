// The lean Add/Sub/Multiply/RealDiv/Square/Identity gradients give tfjs' own gradients bit for bit, over
// broadcasting in every direction, ranks that differ, a scalar and an int32 operand, on both backends, and
// leave out the no-op Reshape and Cast kernels tfjs' own run.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend, nativeBackendAvailable, type BackendName } from '../index.js';

const backends: BackendName[] = nativeBackendAvailable() ? ['tensorflow', 'cpu'] : ['cpu'];
const SHAPES: [number[], number[]][] = [
  [[2, 3, 5, 7], [2, 3, 5, 7]], [[2, 3, 5, 7], [7]], [[7], [2, 3, 5, 7]], [[2, 1, 5, 1], [1, 3, 1, 7]],
  [[3, 5], [1, 5]], [[3, 5], []], [[], [4]], [[1], [1]],
];
const OPS = { add: tf.add, sub: tf.sub, mul: tf.mul, div: tf.div } as const;
/** The no-op kernel tfjs' own gradient of each op runs and how many more of them than the lean one, same shapes. */
const NO_OPS = { add: ['Reshape', 2], sub: ['Reshape', 2], mul: ['Cast', 3], div: ['Cast', 4] } as const;

afterEach(() => { delete process.env.ACMIX_LAB_LEAN_GRADIENTS; });

/** Gradients of Σ r·op(a, b) with respect to both inputs (b float32 or int32), and the kernels the backward ran. */
async function gradients(op: keyof typeof OPS, sa: number[], sb: number[], intB: boolean, stock: boolean) {
  if (stock) process.env.ACMIX_LAB_LEAN_GRADIENTS = '0';
  else delete process.env.ACMIX_LAB_LEAN_GRADIENTS;
  const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
  const b = intB ? tf.randomUniform(sb, -5, 5, 'int32', 2) : tf.randomNormal(sb, 0, 1, 'float32', 2);
  const r = tf.randomNormal(tf.backend_util.assertAndGetBroadcastShape(sa, sb), 0, 1, 'float32', 3);
  const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(OPS[op](x, y), r));
  let values: number[][] = [];
  const profile = await tf.profile(() => {
    const g = intB ? [tf.grad((x: tf.Tensor) => f(x, b))(a)] : tf.grads(f)([a, b]);
    values = g.map((t) => [...t.dataSync()]);
    tf.dispose(g);
  });
  tf.dispose([a, b, r]);
  return { values, kernels: profile.kernels.map((k) => k.name) };
}

describe.each(backends)('lean gradients on %s', (backend) => {
  beforeAll(async () => { await initBackend(backend); });

  it.each(Object.keys(OPS) as (keyof typeof OPS)[])('%s: tfjs\' own gradients bit for bit, without their no-op kernels', async (op) => {
    const before = tf.memory().numTensors;
    for (const [sa, sb] of SHAPES) {
      for (const intB of op === 'sub' ? [false] : [false, true]) {
        const lean = await gradients(op, sa, sb, intB, false);
        const stock = await gradients(op, sa, sb, intB, true);
        expect(lean.values, `${op} [${sa}] [${sb}]${intB ? ' int32' : ''}`).toEqual(stock.values);
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    // Same shapes: tfjs reshapes (add/sub) or casts (mul/div) each input's gradient, the lean gradient does not.
    const same = [[2, 3, 5, 7], [2, 3, 5, 7]] as const;
    const count = (ks: string[], k: string) => ks.filter((x) => x === k).length;
    const lean = (await gradients(op, [...same[0]], [...same[1]], false, false)).kernels;
    const stock = (await gradients(op, [...same[0]], [...same[1]], false, true)).kernels;
    // Both inputs' (div: and b²'s), and (Cast) the float32 r of the loss's own Multiply.
    const [noOp, fewer] = NO_OPS[op];
    expect(count(stock, noOp) - count(lean, noOp)).toBe(fewer);
  });

  it('identity (a clone on the tape, as tfjs-layers\' Add layer makes) and square: the same gradient without Cast copies', async () => {
    const x = tf.randomNormal([2, 3, 5, 7], 0, 1, 'float32', 4);
    const run = async (stock: boolean) => {
      if (stock) process.env.ACMIX_LAB_LEAN_GRADIENTS = '0';
      let values: number[] = [];
      const profile = await tf.profile(() => {
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.clone(t), tf.square(t))))(x);
        values = [...g.dataSync()];
        g.dispose();
      });
      delete process.env.ACMIX_LAB_LEAN_GRADIENTS;
      return { values, casts: profile.kernels.filter((k) => k.name === 'Cast').length };
    };
    const before = tf.memory().numTensors;
    const lean = await run(false);
    const stock = await run(true);
    expect(lean.values).toEqual(stock.values);
    expect(stock.casts - lean.casts).toBe(4); // the clone's, the square's and the Multiply's two
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
