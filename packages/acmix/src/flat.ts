// Many float32 tensors as one 1-D tensor and back, one op each way (native/flat.cc). The trainer keeps its
// gradient sums, momentum buffers and EMA flat so that a step's bookkeeping is a few ops over all
// parameters. Without the native kernels (cpu backend, ACMIX_LAB_FUSED=0) each piece is reshaped and
// concatenated or split by stock ops: the same values, one Reshape per piece more.
import * as tf from '@tensorflow/tfjs';
import { fusedAttentionUnavailable, runNativeOp } from './native-op.js';

function checkFloat32(tensors: readonly tf.Tensor[], op: string): void {
  if (tensors.length === 0) throw new Error(`${op}: no tensors`);
  const other = tensors.find((t) => t.dtype !== 'float32');
  if (other) throw new Error(`${op}: only float32 tensors are laid flat, got ${other.dtype} [${other.shape}]`);
}

/** The tensors' elements end to end (each in row-major order) as one new 1-D tensor. */
export function concatFlat(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  checkFloat32(tensors, 'concatFlat');
  if (fusedAttentionUnavailable() === null) return runNativeOp('flatConcat', { N: tensors.length }, [...tensors], 1)[0] as tf.Tensor1D;
  return tf.tidy(() => tf.concat(tensors.map((t) => t.reshape([-1]))) as tf.Tensor1D);
}

/** concatFlat's inverse: new tensors of `shapes` read one after another from the 1-D `flat`. */
export function splitFlat(flat: tf.Tensor, shapes: readonly (readonly number[])[]): tf.Tensor[] {
  checkFloat32([flat], 'splitFlat');
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (flat.rank !== 1 || flat.size !== total || shapes.length === 0) {
    throw new Error(`splitFlat: [${flat.shape}] does not hold the ${total} elements of ${shapes.length} piece(s)`);
  }
  if (fusedAttentionUnavailable() === null) {
    const attrs = { N: shapes.length, ranks: shapes.map((s) => s.length), dims: shapes.flat() };
    return runNativeOp('flatSplit', attrs, [flat], shapes.length);
  }
  return tf.tidy(() => tf.split(flat, sizes).map((piece, i) => piece.reshape([...shapes[i]!])));
}
