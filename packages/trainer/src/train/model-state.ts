// A YoloModel's weights seen by state_dict key: what the optimizer trains (with Ultralytics'
// parameter kinds), what the EMA averages (parameters and BatchNorm statistics) and what
// checkpoints store.
import type * as tf from '@tensorflow/tfjs';
import { TorchBatchNorm, type YoloModel } from '@acmix-lab/yolo';
import { paramKind, type TrainableParam } from '../optim/groups.js';

/** tfjs-layers' LayerVariable.read() returns its backing tf.Variable, typed as a plain Tensor. */
function backing(v: tf.LayerVariable): tf.Variable {
  return v.read() as tf.Variable;
}

/** Every weight of the model by state_dict key (live variables: read, do not dispose). */
export function variablesByKey(model: YoloModel): Record<string, tf.Variable> {
  return Object.fromEntries(model.torchBindings().map((b) => [b.key, backing(b.variable)]));
}

/**
 * Every torch parameter with its Ultralytics group kind. Like build_optimizer, this includes the fixed
 * DFL projection (requires_grad False): it is counted in the group sizes Ultralytics logs, but no
 * gradient is ever computed for it, so the optimizer skips it as torch does a parameter with no .grad.
 */
export function trainableParams(model: YoloModel): TrainableParam[] {
  const normWeights = new Set(model.model.layers
    .filter((l) => l instanceof TorchBatchNorm)
    .flatMap((l) => l.trainableWeights));
  return model.torchBindings()
    .filter((b) => b.isParameter)
    .map((b) => ({ name: b.key, variable: backing(b.variable), kind: paramKind(b.key, normWeights.has(b.variable)) }));
}
