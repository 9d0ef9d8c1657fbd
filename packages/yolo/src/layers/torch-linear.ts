// nn.Linear over the last axis (used on [B, 1, 1, C] pooled maps by SE): y = x·Wᵀ (+ b) with PyTorch's
// weight [out, in] stored here as [in, out], PyTorch's default init U(±1/√in), thop's count
// in_features per output element.
import * as tf from '@tensorflow/tfjs';
import { plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';
import { numel, type ThopCounted } from './thop.js';

export interface TorchLinearArgs extends BaseLayerArgs {
  units: number;
  useBias?: boolean;
}

export class TorchLinear extends tf.layers.Layer implements TorchMappable, ThopCounted {
  static className = 'TorchLinear';
  readonly units: number;
  readonly useBias: boolean;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: TorchLinearArgs) {
    super(args);
    this.units = args.units;
    this.useBias = args.useBias ?? true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const cin = oneShape(inputShape).at(-1);
    if (typeof cin !== 'number') throw new Error(`${this.name}: input features must be known`);
    const bound = 1 / Math.sqrt(cin);
    const init = () => tf.initializers.randomUniform({ minval: -bound, maxval: bound });
    this.kernel = this.addWeight('kernel', [cin, this.units], 'float32', init());
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', init());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [...oneShape(inputShape).slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs);
      const kernel = this.kernel!.read() as tf.Tensor2D;
      const y = tf.reshape(tf.matMul(tf.reshape(x, [-1, kernel.shape[0]]), kernel), [...x.shape.slice(0, -1), this.units]);
      return this.bias ? tf.add(y, this.bias.read()) : y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, useBias: this.useBias };
  }

  thopOps([input]: number[][], output: number[]): number {
    return input!.at(-1)! * numel(output);
  }

  torchBindings(): TorchParamBinding[] {
    const [cin] = this.kernel!.shape as number[];
    const out: TorchParamBinding[] = [{
      key: 'weight', variable: this.kernel!, isParameter: true, torchShape: [this.units, cin!],
      fromTorch: (t) => tf.transpose(t), toTorch: (t) => tf.transpose(t),
    }];
    if (this.bias) out.push(plainBinding('bias', this.bias, [this.units]));
    return out;
  }
}
tf.serialization.registerClass(TorchLinear);
