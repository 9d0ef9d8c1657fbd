// Ultralytics nn/modules/head.py::Detect (v8.1/8.2; 8.3 for `legacy`): per level i,
// cv2[i] = Conv(ch_i, c2, 3) → Conv(c2, c2, 3) → Conv2d(c2, 4·reg_max, 1) (box distribution),
// cv3[i] = Conv(ch_i, c3, 3) → Conv(c3, c3, 3) → Conv2d(c3, nc, 1) (class logits) when `legacy`,
// else YOLO11's depthwise-separable cv3[i] = (DWConv(ch_i, ch_i, 3) → Conv(ch_i, c3, 1)) →
// (DWConv(c3, c3, 3) → Conv(c3, c3, 1)) → Conv2d(c3, nc, 1). parse_model sets Detect.legacy = True
// unless the model has a C3k2 (ModelScope.legacy); any number of levels (P3–P5, P2–P5, P3–P6).
// c2 = max(16, ch_0 // 4, 4·reg_max), c3 = max(ch_0, min(nc, 100)); x_i = cat(cv2, cv3).
// Training output here: the x_i flattened row-major and concatenated over levels → [B, A, 4·reg_max + nc]
// (layer `<prefix>`); inference output: DetectDecode (`<prefix>.dfl`) → [B, A, 4 + nc].
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { DetectDecode } from '../layers/detect-decode.js';
import { TorchConv2d } from '../layers/torch-conv2d.js';
import { convBlock, type ConvOptions } from './conv.js';
import { channels, posInt, type ModuleContext, type ModuleDef } from './module.js';

export const REG_MAX = 16;

export interface DetectHead {
  nc: number;
  regMax: number;
  /** Per-level x_i = cat(cv2_i, cv3_i), NHWC. */
  levels: tf.SymbolicTensor[];
  /** [B, A, 4 + nc] decoded boxes (xywh, input pixels) and sigmoid scores. */
  inference: tf.SymbolicTensor;
  decode: DetectDecode;
  boxHeads: TorchConv2d[];
  clsHeads: TorchConv2d[];
}

/** Two stages then the output Conv2d: `<prefix>.0`, `.1` (each `stage`), `.2`. */
type Stage = (ctx: ModuleContext, x: tf.SymbolicTensor, width: number) => tf.SymbolicTensor;

function branch(ctx: ModuleContext, x: tf.SymbolicTensor, width: number, out: number, stage: Stage): [tf.SymbolicTensor, TorchConv2d] {
  const a = stage(ctx.child(0), x, width);
  const b = stage(ctx.child(1), a, width);
  const last = new TorchConv2d({ name: ctx.name(2), filters: out, kernelSize: 1, useBias: true });
  return [ctx.apply(last, b), last];
}

const conv3: Stage = (ctx, x, width) => convBlock(ctx, x, { c2: width, k: 3 });

/** nn.Sequential(DWConv(c, c, 3), Conv(c, width, 1)). */
const depthwiseSeparable: Stage = (ctx, x, width) => {
  const dw: ConvOptions = { c2: channels(x), k: 3, g: channels(x) };
  return convBlock(ctx.child(1), convBlock(ctx.child(0), x, dw), { c2: width, k: 1 });
};

export function detectHead(ctx: ModuleContext, inputs: tf.SymbolicTensor[], nc: number, legacy: boolean): { raw: tf.SymbolicTensor; head: DetectHead } {
  const regMax = REG_MAX;
  const no = nc + 4 * regMax;
  const ch0 = channels(inputs[0]!);
  const c2 = Math.max(16, Math.floor(ch0 / 4), 4 * regMax);
  const c3 = Math.max(ch0, Math.min(nc, 100));
  const boxHeads: TorchConv2d[] = [];
  const clsHeads: TorchConv2d[] = [];
  const levels = inputs.map((x, i) => {
    const [box, boxConv] = branch(ctx.child(`cv2.${i}`), x, c2, 4 * regMax, conv3);
    const [cls, clsConv] = branch(ctx.child(`cv3.${i}`), x, c3, nc, legacy ? conv3 : depthwiseSeparable);
    boxHeads.push(boxConv);
    clsHeads.push(clsConv);
    return ctx.apply(tf.layers.concatenate({ axis: -1, name: ctx.name(`level${i}`) }), [box, cls]);
  });
  const flat = levels.map((t, i) => ctx.apply(tf.layers.reshape({
    targetShape: [-1, no], name: levels.length === 1 ? ctx.name() : ctx.name(`flat${i}`),
  }), t));
  const raw = flat.length === 1 ? flat[0]! : ctx.apply(tf.layers.concatenate({ axis: 1, name: ctx.name() }), flat);
  const decode = new DetectDecode({ name: ctx.name('dfl'), nc, regMax });
  const inference = ctx.apply(decode, levels.length === 1 ? levels[0]! : levels);
  return { raw, head: { nc, regMax, levels, inference, decode, boxHeads, clsHeads } };
}

/**
 * Once strides are known: store them for decoding and apply Detect.bias_init (box logits 1.0,
 * class logits log(5 / nc / (640 / stride)²), i.e. ~0.01 objects per 640-px image).
 */
export function initDetect(head: DetectHead, strides: number[]): void {
  head.decode.strides = strides;
  const setBias = (conv: TorchConv2d, value: number) => {
    const b = conv.torchBindings().find((t) => t.key === 'bias')!.variable;
    const t = tf.fill(b.shape as number[], value);
    b.write(t);
    t.dispose();
  };
  strides.forEach((s, i) => {
    setBias(head.boxHeads[i]!, 1.0);
    setBias(head.clsHeads[i]!, Math.log(5 / head.nc / (640 / s) ** 2));
  });
}

export const Detect: ModuleDef = {
  type: 'ultralytics.nn.modules.head.Detect',
  role: 'detect',
  multiInput: true,
  args: z.tuple([posInt()]),
  argNames: ['nc'],
  // Detect, cv2/cv3 ModuleLists, DFL + its conv; per level Sequential(Conv, Conv, Conv2d) for the boxes
  // and the same for the classes, or YOLO11's Sequential(Sequential(DWConv, Conv) × 2, Conv2d).
  torchModules: (args, scope) => 5 + (scope.legacy ? 16 : 24) * (args[1] as number[]).length,
  build(ctx, inputs, args, scope) {
    const { raw, head } = detectHead(ctx, inputs, args[0] as number, scope.legacy);
    return { output: raw, detect: head };
  },
  example: {
    ch: 3, nc: 3,
    layers: [[-1, 1, 'Conv', [16, 3, 2]], [-1, 1, 'Conv', [16, 3, 2]], [-1, 1, 'Conv', [32, 3, 2]], [[1, 2], 1, 'Detect', ['nc']]],
  },
};
