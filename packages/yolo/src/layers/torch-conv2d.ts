// nn.Conv2d with PyTorch's padding semantics. tfjs' Conv2D only knows 'same' and 'valid', and
// TensorFlow's 'same' pads stride-2 convolutions on the bottom/right only, while PyTorch pads
// `padding` pixels on every side: Ultralytics' Conv(k=3, s=2) would read a different window.
// Stride-1 convolutions whose padding is the symmetric 'same' padding run as 'same'. Strided ones (YOLO's
// downsampling convs) pass the padding to the conv as explicit padding on the native backend, whose oneDNN kernel
// pads on the fly (@acmix-lab/runtime's kernels run the gradients: tfjs-node's reject explicit padding): the
// results of a zero-padded copy and 'valid', without that copy, bit for bit at YOLOv8n/s shapes (oneDNN blocks
// some 10×10-output convs of ≥ 384 channels differently: 1.6e-6 apart). The rest, and all on the cpu backend,
// with ACMIX_LAB_EXPLICIT_PAD=0 or depthwise, pad x and run 'valid'.
// Init is PyTorch's default (Conv2d.reset_parameters: kaiming_uniform(a=√5) → U(±1/√fan_in) for
// weight and bias, fan_in = c_in/groups·k²), which Ultralytics keeps (initialize_weights leaves convs alone).
// Groups (nn.Conv2d `groups`, Ultralytics' DWConv g = gcd(c1, c2) and Attention's pe g = dim): the
// kernel is stored as PyTorch stores it, [k, k, c_in/g, c_out] ↔ OIHW [c_out, c_in/g, k, k], output o
// in group ⌊o / (c_out/g)⌋. With one input channel per group it runs as tfjs' depthwise conv with
// multiplier c_out/c_in (output i·m + j reads input i: the kernel's last axis reshaped to [c_in, m]);
// otherwise as one dense conv per group on its channel slice, concatenated.
import * as tf from '@tensorflow/tfjs';
import { conv2dBinding, explicitConvPaddingAvailable, plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';
import { numel, type ThopCounted } from './thop.js';

export interface TorchConv2dArgs extends BaseLayerArgs {
  filters: number;
  kernelSize: number;
  strides?: number;
  /** Pixels of zero padding on each side (PyTorch `padding`). */
  padding?: number;
  dilation?: number;
  /** nn.Conv2d groups: c_in and filters must both be multiples. */
  groups?: number;
  useBias?: boolean;
}

type Padding = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

export class TorchConv2d extends tf.layers.Layer implements TorchMappable, ThopCounted {
  static className = 'TorchConv2d';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
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
    this.groups = args.groups ?? 1;
    this.useBias = args.useBias ?? false;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const cin = oneShape(inputShape)[3];
    if (typeof cin !== 'number') throw new Error(`${this.name}: input channels must be known`);
    const g = this.groups;
    if (cin % g !== 0 || this.filters % g !== 0) {
      throw new Error(`${this.name}: groups ${g} must divide the input channels ${cin} and the output channels ${this.filters}`);
    }
    const bound = 1 / Math.sqrt((cin / g) * this.kernelSize * this.kernelSize);
    const init = () => tf.initializers.randomUniform({ minval: -bound, maxval: bound });
    this.kernel = this.addWeight('kernel', [this.kernelSize, this.kernelSize, cin / g, this.filters], 'float32', init());
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
      const pads: tf.backend_util.ExplicitPadding = [[0, 0], [p, p], [p, p], [0, 0]];
      let mode: Padding = 'valid';
      if (p > 0 && sameIsSymmetric) mode = 'same';
      else if (p > 0 && this.strides > 1 && !this.depthwise(x.shape[3]) && explicitConvPaddingAvailable()) mode = pads;
      else if (p > 0) x = tf.pad(x, pads);
      const y = this.convolve(x, this.kernel!.read() as tf.Tensor4D, mode);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  /** One input channel per group: tfjs' depthwise conv, which takes no explicit padding. */
  private depthwise(cin: number): boolean {
    return this.groups > 1 && cin === this.groups;
  }

  private convolve(x: tf.Tensor4D, kernel: tf.Tensor4D, mode: Padding): tf.Tensor4D {
    const g = this.groups;
    if (g === 1) return tf.conv2d(x, kernel, this.strides, mode, 'NHWC', this.dilation);
    const [k, , , cout] = kernel.shape;
    if (this.depthwise(x.shape[3])) {
      const depthwise = tf.reshape(kernel, [k, k, g, cout / g]) as tf.Tensor4D;
      return tf.depthwiseConv2d(x, depthwise, this.strides, mode as 'same' | 'valid', 'NHWC', this.dilation);
    }
    const xs = tf.split(x, g, -1) as tf.Tensor4D[];
    const ks = tf.split(kernel, g, -1) as tf.Tensor4D[];
    return tf.concat(xs.map((xi, i) => tf.conv2d(xi, ks[i]!, this.strides, mode, 'NHWC', this.dilation)), -1);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides,
      padding: this.padding, dilation: this.dilation, groups: this.groups, useBias: this.useBias,
    };
  }

  /** thop's count_convNd: output elements × c_in/groups × k² (no bias term). */
  thopOps([input]: number[][], output: number[]): number {
    return (numel(output) * input![3]! * this.kernelSize ** 2) / this.groups;
  }

  torchBindings(): TorchParamBinding[] {
    const out = [conv2dBinding('weight', this.kernel!)];
    if (this.bias) out.push(plainBinding('bias', this.bias, [this.filters]));
    return out;
  }
}
tf.serialization.registerClass(TorchConv2d);
