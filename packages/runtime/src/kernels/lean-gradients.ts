// The gradients of Add, Sub, Multiply, RealDiv, Square and Identity without tfjs' bookkeeping ops. tfjs' own
// (tfjs-core 4.22 gradients/Add_grad.ts, Sub_grad.ts, Multiply_grad.ts, RealDiv_grad.ts, Square_grad.ts,
// Identity_grad.ts) end every Add/Sub branch with a Reshape to the input's shape, even where the gradient has
// that shape already, cast operands to float32 even when they are float32, and pass an Identity's gradient
// through a float32 → float32 Cast: on tfjs-node each is a native op (a Reshape also writes and frees a shape
// tensor, a Cast copies the whole tensor). A YOLOv8n training step ran ~140 of them, among them full-size
// copies of feature-map gradients: tfjs-layers' Add layer (the C2f shortcuts) clones its first input. These
// gradients compute the same values with the same ops, leaving out those: where nothing is left to compute,
// the gradient is a clone of dy (no kernel: the same buffer under a new tensor, which the tape can dispose on
// its own, as it does a Reshape's output). ACMIX_LAB_LEAN_GRADIENTS=0 runs tfjs' own (bench:train's A/B).
import * as tf from '@tensorflow/tfjs';

const { assertAndGetBroadcastShape, getReductionAxes } = tf.backend_util;

/** `g` summed over the axes `x` was broadcast along, in x's shape (tfjs' reduction); `g` itself when there are none. */
function sumTo(x: tf.Tensor, out: number[], g: tf.Tensor): tf.Tensor {
  const axes = getReductionAxes(x.shape, out);
  return axes.length > 0 ? tf.reshape(tf.sum(g, axes), x.shape) : g;
}

/** A gradient must be a tensor of its own (the tape disposes each): a clone (no kernel) where it would be dy. */
const own = (grad: tf.Tensor, dy: tf.Tensor) => (grad === dy ? tf.clone(dy) : grad);

/** float32 as tfjs' gradients cast it, without the copy when it is float32 already. */
const asFloat = (t: tf.Tensor) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'));

const LEAN: Record<string, (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>> = {
  [tf.Add]: (dy, [a, b]) => {
    const out = assertAndGetBroadcastShape(a!.shape, b!.shape);
    return { a: () => own(sumTo(a!, out, dy), dy), b: () => own(sumTo(b!, out, dy), dy) };
  },
  [tf.Sub]: (dy, [a, b]) => {
    const out = assertAndGetBroadcastShape(a!.shape, b!.shape);
    return { a: () => own(sumTo(a!, out, dy), dy), b: () => tf.neg(sumTo(b!, out, dy)) };
  },
  [tf.Multiply]: (dy, [a, b]) => {
    const out = assertAndGetBroadcastShape(a!.shape, b!.shape);
    return { a: () => sumTo(a!, out, tf.mul(dy, asFloat(b!))), b: () => sumTo(b!, out, tf.mul(dy, asFloat(a!))) };
  },
  [tf.RealDiv]: (dy, [a, b]) => {
    const out = assertAndGetBroadcastShape(a!.shape, b!.shape);
    return {
      a: () => sumTo(a!, out, tf.div(dy, asFloat(b!))),
      b: () => tf.neg(tf.div(sumTo(b!, out, tf.mul(dy, asFloat(a!))), asFloat(tf.square(b!)))),
    };
  },
  [tf.Square]: (dy, [x]) => ({ x: () => tf.mul(dy, tf.mul(asFloat(x!), 2)) }),
  [tf.Identity]: (dy) => ({ x: () => own(asFloat(dy), dy) }),
};

const replaced = new Set<string>();

/** Install the lean gradients (idempotent); each defers to tfjs' own under ACMIX_LAB_LEAN_GRADIENTS=0. */
export function registerLeanGradients(): void {
  for (const [kernelName, lean] of Object.entries(LEAN)) {
    if (replaced.has(kernelName)) continue;
    const current = tf.getGradient(kernelName);
    if (!current) throw new Error(`${kernelName}: tfjs registers no gradient to replace`);
    replaced.add(kernelName);
    tf.registerGradient({
      ...current,
      gradFunc: (dy, saved, attrs) => (process.env.ACMIX_LAB_LEAN_GRADIENTS === '0' ? current.gradFunc(dy, saved, attrs) : lean(dy as tf.Tensor, saved)),
    });
  }
}
