// ACmix's attention path over projected queries, keys and values (ACmix.forward, "### att").
import * as tf from '@tensorflow/tfjs';
import type { WindowGeometry } from './geometry.js';

/**
 * Sliding-window attention, tile by tile: gather each tile's queries and its key/value halo
 * (reflection padding is in the gather indices), score with one batched matmul, mask to the
 * window, softmax, and weight the values with a second matmul.
 *
 * q, k: (batch, head, H·W, e) with the positional channels already appended (see layer.ts), so
 * q·k is the official logit up to a per-query constant; v: (batch, head, H·W, headDim).
 * Returns (batch, outH, outW, head·headDim), channels head-major like the official `view`.
 */
export function windowAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, geo: WindowGeometry): tf.Tensor4D {
  const [batch, head, , e] = q.shape;
  const headDim = v.shape[3];
  const { rows, cols } = geo;
  const tile = rows.tile;
  const nTiles = rows.tiles * cols.tiles;
  const halo = rows.halo * cols.halo;
  const queryIndex = tf.tensor1d(geo.queryIndex, 'int32');
  const keyIndex = tf.tensor1d(geo.keyIndex, 'int32');
  const qt = tf.reshape(tf.gather(q, queryIndex, 2), [batch, head, nTiles, tile * tile, e]);
  const kt = tf.reshape(tf.gather(k, keyIndex, 2), [batch, head, nTiles, halo, e]);
  const vt = tf.reshape(tf.gather(v, keyIndex, 2), [batch, head, nTiles, halo, headDim]);
  const logits = tf.add(tf.matMul(qt, kt, false, true), tf.tensor2d(geo.mask, [tile * tile, halo]));
  const out = tf.matMul(tf.softmax(logits), vt);
  const grid = tf.reshape(out, [batch, head, rows.tiles, cols.tiles, tile, tile, headDim]);
  const nhwc = tf.reshape(tf.transpose(grid, [0, 2, 4, 3, 5, 1, 6]), [batch, rows.tiles * tile, cols.tiles * tile, head * headDim]);
  return tf.slice(nhwc, [0, 0, 0, 0], [batch, rows.out, cols.out, head * headDim]) as tf.Tensor4D;
}
