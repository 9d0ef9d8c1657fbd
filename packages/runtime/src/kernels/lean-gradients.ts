// The gradients of Add, Sub, Multiply and Identity without tfjs' bookkeeping ops. tfjs' own (tfjs-core 4.22
// gradients/Add_grad.ts, Sub_grad.ts, Multiply_grad.ts, Identity_grad.ts) end every Add/Sub branch with a
// Reshape to the input's shape, even where the gradient has that shape already, cast the other operand of a
// Multiply to float32 even when it is float32, and pass an Identity's gradient through a float32 → float32
// Cast: on tfjs-node each is a native op (a Reshape also writes and frees a shape tensor, a Cast copies the
// whole tensor). A YOLOv8n training step ran ~120 of them, among them full-size copies of feature-map
// gradients: tfjs-layers' Add layer (the C2f shortcuts) clones its first input. These gradients compute the
// same values with the same ops, leaving out those: where nothing is left to compute the gradient is a clone
// of dy (no kernel: the same buffer under a new tensor, which the tape can dispose on its own, as it does a
// Reshape's output). ACMIX_LAB_LEAN_GRADIENTS=0 runs tfjs' own (bench:train's A/B).
import * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';

const { assertAndGetBroadcastShape, getReductionAxes } = tf.backend_util;

/**
 * The gradient of input `x` of a broadcasting op with output shape `out`, from `g` (dy, or its product
 * with the other operand): summed over the axes `x` was broadcast along, then `then`, in x's shape; with
 * nothing to sum, `then(g)`, or a clone when that is `g` itself (a clone runs no kernel).
 */
function toInput(x: tf.Tensor, out: number[], g: tf.Tensor, then: (t: tf.Tensor) => tf.Tensor = (t) => t): tf.Tensor {
  const axes = getReductionAxes(x.shape, out);
  if (axes.length > 0) return tf.reshape(then(tf.sum(g, axes)), x.shape);
  const y = then(g);
  return y === g ? tf.clone(g) : y;
}

/** float32 as tfjs' gradient casts it, without the copy when it is float32 already. */
const asFloat = (t: tf.Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

const LEAN: Record<string, GradConfig['gradFunc']> = {
  [tf.Add]: (dy, [a, b]) => {
    const out = assertAndGetBroadcastShape(a!.shape, b!.shape);
    return { a: () => toInput(a!, out, dy as tf.Tensor), b: () => toInput(b!, out, dy as tf.Tensor) };
  },
  [tf.Sub]: (dy, [a, b]) => {
    const out = assertAndGetBroadcastShape(a!.shape, b!.shape);
    return { a: () => toInput(a!, out, dy as tf.Tensor), b: () => toInput(b!, out, dy as tf.Tensor, tf.neg) };
  },
  [tf.Multiply]: (dy, [a, b]) => {
    const out = assertAndGetBroadcastShape(a!.shape, b!.shape);
    // The product is a new tensor: with nothing to sum it is the gradient itself, as in tfjs.
    const der = (x: tf.Tensor, other: tf.Tensor) => () => {
      const product = tf.mul(dy as tf.Tensor, asFloat(other));
      return getReductionAxes(x.shape, out).length > 0 ? toInput(x, out, product) : product;
    };
    return { a: der(a!, b!), b: der(b!, a!) };
  },
  [tf.Identity]: (dy) => ({ x: () => ((dy as tf.Tensor).dtype === 'float32' ? tf.clone(dy as tf.Tensor) : tf.cast(dy as tf.Tensor, 'float32')) }),
};

const stock = new Map<string, GradConfig>();

/** Install the lean gradients (idempotent); each defers to tfjs' own under ACMIX_LAB_LEAN_GRADIENTS=0. */
export function registerLeanGradients(): void {
  for (const [kernelName, lean] of Object.entries(LEAN)) {
    const current = tf.getGradient(kernelName);
    if (!current) throw new Error(`${kernelName}: tfjs registers no gradient to replace`);
    if (stock.has(kernelName)) continue;
    stock.set(kernelName, current);
    tf.registerGradient({
      ...current,
      gradFunc: (dy, saved, attrs) => (process.env.ACMIX_LAB_LEAN_GRADIENTS === '0' ? current.gradFunc : lean)(dy, saved, attrs),
    });
  }
}
