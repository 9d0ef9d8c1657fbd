// SpatialAttention's input (Ultralytics conv.py): torch.cat([x.mean(1, keepdim=True),
// x.max(1, keepdim=True)[0]], 1), the mean and the max over channels ([B, H, W, C] → [B, H, W, 2]).
// Functional ops, which thop does not count.
import * as tf from '@tensorflow/tfjs';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';

export class ChannelMeanMax extends tf.layers.Layer {
  static className = 'ChannelMeanMax';

  constructor(args: BaseLayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...oneShape(inputShape).slice(0, -1), 2];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      return tf.concat([tf.mean(x, -1, true), tf.max(x, -1, true)], -1);
    });
  }
}
tf.serialization.registerClass(ChannelMeanMax);
