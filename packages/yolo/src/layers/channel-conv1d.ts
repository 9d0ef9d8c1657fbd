// ECA's nn.Conv1d(1, 1, k, padding=(k − 1) // 2, bias=False) run along the channels of a pooled map
// ([B, 1, 1, C] → [B, 1, 1, C]; BangguWu/ECANet models/eca_module.py convolves
// y.squeeze(-1).transpose(-1, -2), a length-C signal). Weight [1, 1, k] in PyTorch, [k, 1, 1] here
// (the same order); PyTorch's default init U(±1/√k); thop counts k per output element.
import * as tf from '@tensorflow/tfjs';
import { plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';
import { numel, type ThopCounted } from './thop.js';

export interface ChannelConv1dArgs extends BaseLayerArgs {
  /** Odd kernel size. */
  kernelSize: number;
}

export class ChannelConv1d extends tf.layers.Layer implements TorchMappable, ThopCounted {
  static className = 'ChannelConv1d';
  readonly kernelSize: number;
  private kernel: tf.LayerVariable | null = null;

  constructor(args: ChannelConv1dArgs) {
    super(args);
    if (args.kernelSize % 2 !== 1) throw new Error(`${args.name ?? 'ChannelConv1d'}: kernel size ${args.kernelSize} must be odd`);
    this.kernelSize = args.kernelSize;
  }

  override build(): void {
    const bound = 1 / Math.sqrt(this.kernelSize);
    this.kernel = this.addWeight('kernel', [this.kernelSize, 1, 1], 'float32', tf.initializers.randomUniform({ minval: -bound, maxval: bound }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const [b, , , c] = x.shape;
      const y = tf.conv1d(tf.reshape(x, [b!, c!, 1]) as tf.Tensor3D, this.kernel!.read() as tf.Tensor3D, 1, 'same');
      return tf.reshape(y, x.shape);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), kernelSize: this.kernelSize };
  }

  thopOps(_inputs: number[][], output: number[]): number {
    return this.kernelSize * numel(output);
  }

  torchBindings(): TorchParamBinding[] {
    return [plainBinding('weight', this.kernel!, [1, 1, this.kernelSize])];
  }
}
tf.serialization.registerClass(ChannelConv1d);
