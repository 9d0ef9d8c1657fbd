// Tensor-leak checks for tests: the count of live tensors must not grow across a computation.
import * as tf from '@tensorflow/tfjs';

/** Runs `fn` and returns how many tensors it left alive (its returned value excluded if disposed). */
export async function countLeakedTensors(fn: () => unknown | Promise<unknown>): Promise<number> {
  const before = tf.memory().numTensors;
  const result = await fn();
  tf.dispose(result as tf.TensorContainer);
  return tf.memory().numTensors - before;
}
