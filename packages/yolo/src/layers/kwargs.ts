// Small helpers shared by the custom layers.
import * as tf from '@tensorflow/tfjs';

/** The keyword arguments tfjs passes to `Layer.call` (`training` among them). */
export type Kwargs = Record<string, unknown>;

/** Constructor arguments every custom layer accepts (a subset of tfjs' LayerArgs). */
export interface BaseLayerArgs {
  name?: string;
  trainable?: boolean;
}

export function oneTensor(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new Error(`expected one input tensor, got ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

export function oneShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
  return Array.isArray(shape[0]) ? (shape as tf.Shape[])[0]! : shape as tf.Shape;
}

export function isTraining(kwargs: Kwargs): boolean {
  return kwargs['training'] === true;
}
