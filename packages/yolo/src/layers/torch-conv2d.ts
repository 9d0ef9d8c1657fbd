// nn.Conv2d with PyTorch's padding semantics. tfjs' Conv2D only knows 'same' and 'valid', and
// TensorFlow's 'same' pads stride-2 convolutions on the bottom/right only, while PyTorch pads
// `padding` pixels on every side: Ultralytics' Conv(k=3, s=2) would read a different window.
// Stride-1 convolutions whose padding is the symmetric 'same' padding run as 'same'; the rest
// pad explicitly and run 'valid' (tfjs-node's backprop kernels reject explicit padding).
// Init is PyTorch's default (Conv2d.reset_parameters: kaiming_uniform(a=√5) → U(±1/√fan_in) for
// weight and bias), which Ultralytics keeps (torch_utils.initialize_weights leaves convs alone).
import * as tf from '@tensorflow/tfjs';
import { conv2dBinding, plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';

export interface TorchConv2dArgs extends BaseLayerArgs {
  filters: number;
  kernelSize: number;
  strides?: number;
  /** Pixels of zero padding on each side (PyTorch `padding`). */
  padding?: number;
  dilation?: number;
  useBias?: boolean;
}

export class TorchConv2d extends tf.layers.Layer implements TorchMappable {
  static className = 'TorchConv2d';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: number;
  readonly dilation: number;
  readonly useBias: boolean;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: TorchConv2dArgs) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.padding = args.padding ?? 0;
    this.dilation = args.dilation ?? 1;
    this.useBias = args.useBias ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const cin = oneShape(inputShape)[3];
    if (typeof cin !== 'number') throw new Error(`${this.name}: input channels must be known`);
    const bound = 1 / Math.sqrt(cin * this.kernelSize * this.kernelSize);
    const init = () => tf.initializers.randomUniform({ minval: -bound, maxval: bound });
    this.kernel = this.addWeight('kernel', [this.kernelSize, this.kernelSize, cin, this.filters], 'float32', init());
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', init());
    this.built = true;
  }

  /** Output length of one spatial dimension (torch.nn.Conv2d shape formula). */
  outputLength(n: number): number {
    return Math.floor((n + 2 * this.padding - this.dilation * (this.kernelSize - 1) - 1) / this.strides) + 1;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, h, w] = oneShape(inputShape);
    return [b!, h == null ? null : this.outputLength(h), w == null ? null : this.outputLength(w), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      let x = oneTensor(inputs) as tf.Tensor4D;
      const p = this.padding;
      const sameIsSymmetric = this.strides === 1 && 2 * p === this.dilation * (this.kernelSize - 1);
      let mode: 'same' | 'valid' = 'valid';
      if (p > 0 && sameIsSymmetric) mode = 'same';
      else if (p > 0) x = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]);
      const y = tf.conv2d(x, this.kernel!.read() as tf.Tensor4D, this.strides, mode, 'NHWC', this.dilation);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides,
      padding: this.padding, dilation: this.dilation, useBias: this.useBias,
    };
  }

  torchBindings(): TorchParamBinding[] {
    const out = [conv2dBinding('weight', this.kernel!)];
    if (this.bias) out.push(plainBinding('bias', this.bias, [this.filters]));
    return out;
  }
}
tf.serialization.registerClass(TorchConv2d);
