// The weightless part of Ultralytics block.py::Attention.forward (YOLO11's C2PSA), on the output of its
// qkv Conv. PyTorch views qkv as (B, heads, 2·key_dim + head_dim, N) and splits q, k, v per head; here
// the NHWC channels are (head, [q | k | v]) in the same order.
//   part 'attention': (v @ softmax(qᵀk · key_dim^−½)ᵀ).view(B, C, H, W)
//   part 'values':    v.reshape(B, C, H, W), the input of Attention.pe
// with C = heads·head_dim and channel head·head_dim + d, as PyTorch's views lay them out.
import * as tf from '@tensorflow/tfjs';
import { oneShape, oneTensor, type BaseLayerArgs } from './kwargs.js';

export interface HeadAttentionArgs extends BaseLayerArgs {
  numHeads: number;
  keyDim: number;
  headDim: number;
  part: 'attention' | 'values';
}

export class HeadAttention extends tf.layers.Layer {
  static className = 'HeadAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly headDim: number;
  readonly part: 'attention' | 'values';

  constructor(args: HeadAttentionArgs) {
    super(args);
    this.numHeads = args.numHeads;
    this.keyDim = args.keyDim;
    this.headDim = args.headDim;
    this.part = args.part;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, h, w] = oneShape(inputShape);
    return [b!, h!, w!, this.numHeads * this.headDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = oneTensor(inputs) as tf.Tensor4D;
      const [b, h, w, c] = x.shape;
      const per = 2 * this.keyDim + this.headDim;
      if (c !== this.numHeads * per) throw new Error(`${this.name}: ${c} channels, expected ${this.numHeads}×${per}`);
      const heads = tf.reshape(x, [b, h * w, this.numHeads, per]);
      const out: [number, number, number, number] = [b, h, w, this.numHeads * this.headDim];
      if (this.part === 'values') return tf.reshape(tf.slice(heads, [0, 0, 0, 2 * this.keyDim], [-1, -1, -1, this.headDim]), out);
      const [q, k, v] = tf.split(tf.transpose(heads, [0, 2, 1, 3]), [this.keyDim, this.keyDim, this.headDim], -1);
      const attn = tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), this.keyDim ** -0.5));
      return tf.reshape(tf.transpose(tf.matMul(attn, v!), [0, 2, 1, 3]), out);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads, keyDim: this.keyDim, headDim: this.headDim, part: this.part };
  }
}
tf.serialization.registerClass(HeadAttention);
