// nn.AdaptiveAvgPool2d(1): the per-channel mean over height and width, kept as a 1×1 map
// ([B, H, W, C] → [B, 1, 1, C]) so that it broadcasts against its input. thop counts
// (H·W additions + 1 division) per output element.
import * as tf from '@tensorflow/tfjs';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';
import { numel, type ThopCounted } from './thop.js';

export class GlobalAvgPool extends tf.layers.Layer implements ThopCounted {
  static className = 'GlobalAvgPool';

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, , , c] = oneShape(inputShape);
    return [b!, 1, 1, c!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mean(oneTensor(inputs), [1, 2], true));
  }

  thopOps([input]: number[][], output: number[]): number {
    return (input![1]! * input![2]! + 1) * numel(output);
  }
}
tf.serialization.registerClass(GlobalAvgPool);
