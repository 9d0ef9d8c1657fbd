// ACmix's attention path over projected queries, keys and values (ACmix.forward, "### att").
import * as tf from '@tensorflow/tfjs';
import type { AttentionIndex, WindowGeometry } from './geometry.js';

/**
 * Sliding-window attention, tile by tile: gather each tile's queries and its key/value halo
 * (reflection padding is in the gather indices), score with one batched matmul, mask to the
 * window, softmax, and weight the values with a second matmul.
 *
 * q, k: rows (batch, pixel, head) × e channels, with the positional channels already appended
 * (see layer.ts), so q·k is the official logit up to a per-query constant; v: rows × headDim.
 * Returns rows (batch, outY, outX, head) × headDim, i.e. NHWC with head-major channels like the
 * official `view`.
 *
 * The gradient is written by hand: every gather's backward is an unsorted segment sum over the
 * same rows (no transposes), and the softmax backward uses Σ_u P·dP = Σ_c dO·O, a reduction over
 * headDim instead of over the halo.
 */
export function windowAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, geo: WindowGeometry, index: AttentionIndex): tf.Tensor2D {
  const { batch, head } = index;
  const e = q.shape[1];
  const d = v.shape[1];
  const tileQ = geo.rows.tile * geo.cols.tile;
  const halo = geo.rows.halo * geo.cols.halo;
  const nTiles = geo.rows.tiles * geo.cols.tiles;
  const resultRows = batch * head * nTiles * tileQ;
  const attend = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [qs, ks, vs, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const queryRows = tf.tensor1d(index.queryRows, 'int32');
    const keyRows = tf.tensor1d(index.keyRows, 'int32');
    const outRows = tf.tensor1d(index.outRows, 'int32');
    const qt = tf.reshape(tf.gather(qs, queryRows), [batch, head, nTiles, tileQ, e]);
    const kt = tf.reshape(tf.gather(ks, keyRows), [batch, head, nTiles, halo, e]);
    const vt = tf.reshape(tf.gather(vs, keyRows), [batch, head, nTiles, halo, d]);
    const logits = tf.add(tf.matMul(qt, kt, false, true), tf.tensor2d(geo.mask, [tileQ, halo]));
    const p = tf.softmax(logits);
    const o = tf.matMul(p, vt);
    save([qt, kt, vt, p, o, queryRows, keyRows, outRows]);
    return {
      value: tf.gather(tf.reshape(o, [resultRows, d]), outRows) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [qt, kt, vt, p, o, queryRows, keyRows, outRows] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        // Padding queries of the last tiles get no gradient: they are absent from outRows.
        const dO = tf.reshape(tf.unsortedSegmentSum(dy, outRows, resultRows), o.shape);
        const dV = tf.matMul(p, dO, true, false);
        const dP = tf.matMul(dO, vt, false, true);
        const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dO, o), -1, true)));
        const dQ = tf.matMul(dS, kt);
        const dK = tf.matMul(dS, qt, true, false);
        const scatter = (g: tf.Tensor, rows: tf.Tensor1D, like: tf.Tensor) =>
          tf.unsortedSegmentSum(tf.reshape(g, [-1, like.shape[1]!]), rows, like.shape[0]!);
        return [scatter(dQ, queryRows, qs), scatter(dK, keyRows, ks), scatter(dV, keyRows, vs)];
      },
    };
  });
  return attend(q, k, v) as tf.Tensor2D;
}
