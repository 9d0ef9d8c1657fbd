// Detect's inference path (Ultralytics nn/modules/head.py Detect._inference, block.py DFL,
// utils/tal.py dist2bbox): per-level maps [B, H, W, 4·reg_max + nc] → [B, A, 4 + nc] with boxes as
// xywh in input pixels and sigmoid class scores. The DFL expectation uses a fixed
// arange(reg_max) weight: a parameter with requires_grad False in PyTorch (`model.<i>.dfl.conv.weight`,
// counted by Ultralytics' parameter total), here a non-trainable weight.
import * as tf from '@tensorflow/tfjs';
import { plainBinding, type TorchMappable, type TorchParamBinding } from '@acmix-lab/runtime';
import { makeAnchors } from '../anchors.js';
import type { BaseLayerArgs } from './kwargs.js';

export interface DetectDecodeArgs extends BaseLayerArgs {
  nc: number;
  regMax: number;
  /** Stride of each level; set once the model is built (DetectionModel.__init__ "Build strides"). */
  strides?: number[];
}

export class DetectDecode extends tf.layers.Layer implements TorchMappable {
  static className = 'DetectDecode';
  readonly nc: number;
  readonly regMax: number;
  strides: number[];
  private proj: tf.LayerVariable | null = null;

  constructor(args: DetectDecodeArgs) {
    super({ ...args, trainable: false });
    this.nc = args.nc;
    this.regMax = args.regMax;
    this.strides = args.strides ?? [];
  }

  override build(): void {
    this.proj = this.addWeight('dfl', [this.regMax], 'float32', tf.initializers.zeros(), undefined, false);
    const arange = tf.range(0, this.regMax, 1, 'float32');
    this.proj.write(arange);
    arange.dispose();
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shapes = (Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as tf.Shape[];
    const known = shapes.every((s) => s[1] != null && s[2] != null);
    const anchors = known ? shapes.reduce((a, s) => a + s[1]! * s[2]!, 0) : null;
    return [shapes[0]![0]!, anchors, 4 + this.nc];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const levels = (Array.isArray(inputs) ? inputs : [inputs]) as tf.Tensor4D[];
    if (this.strides.length !== levels.length) {
      throw new Error(`${this.name}: ${levels.length} levels but strides [${this.strides}]`);
    }
    return tf.tidy(() => {
      const b = levels[0]!.shape[0];
      const no = 4 * this.regMax + this.nc;
      const flat = tf.concat(levels.map((t) => tf.reshape(t, [b, -1, no])), 1);
      const a = flat.shape[1]!;
      const grid = makeAnchors(levels.map((t) => [t.shape[1], t.shape[2]] as const), this.strides);
      const bins = tf.softmax(tf.reshape(tf.slice(flat, [0, 0, 0], [-1, -1, 4 * this.regMax]), [b, a, 4, this.regMax]));
      const dist = tf.sum(tf.mul(bins, this.proj!.read()), -1); // l, t, r, b in stride units
      const anchors = tf.tensor2d(grid.points, [a, 2]);
      const x1y1 = tf.sub(anchors, tf.slice(dist, [0, 0, 0], [-1, -1, 2]));
      const x2y2 = tf.add(anchors, tf.slice(dist, [0, 0, 2], [-1, -1, 2]));
      const xywh = tf.concat([tf.div(tf.add(x1y1, x2y2), 2), tf.sub(x2y2, x1y1)], -1);
      const box = tf.mul(xywh, tf.tensor2d(grid.strides, [a, 1]));
      const scores = tf.sigmoid(tf.slice(flat, [0, 0, 4 * this.regMax], [-1, -1, this.nc]));
      return tf.concat([box, scores], -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), nc: this.nc, regMax: this.regMax, strides: this.strides };
  }

  /** The DFL projection as Ultralytics' `dfl.conv.weight` ([1, reg_max, 1, 1]). */
  torchBindings(): TorchParamBinding[] {
    return [plainBinding('conv.weight', this.proj!, [1, this.regMax, 1, 1])];
  }
}
tf.serialization.registerClass(DetectDecode);
