// A contiguous range of channels (NHWC last axis). Ultralytics' C2f does
// `cv1(x).chunk(2, 1)` and feeds the second half to its bottlenecks; tfjs has no split layer.
import * as tf from '@tensorflow/tfjs';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';

export interface ChannelSliceArgs extends BaseLayerArgs {
  begin: number;
  size: number;
}

export class ChannelSlice extends tf.layers.Layer {
  static className = 'ChannelSlice';
  readonly begin: number;
  readonly size: number;

  constructor(args: ChannelSliceArgs) {
    super(args);
    this.begin = args.begin;
    this.size = args.size;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = oneShape(inputShape);
    return [...s.slice(0, -1), this.size];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      return tf.slice(x, [0, 0, 0, this.begin], [-1, -1, -1, this.size]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), begin: this.begin, size: this.size };
  }
}
tf.serialization.registerClass(ChannelSlice);
