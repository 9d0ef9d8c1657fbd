// Whole-model PyTorch parity for stock models too large to keep as fixtures (YOLO11n and YOLOv8n-P6 at
// scale n; YOLOv8s and YOLOv8l, the scales of issue 8; nc 2): tools/fixtures/yolo_torch.py built them with
// weights, input and output gradient hashed from their names (hashed-tensors.ts gives the same values), ran
// them in float64, and stored the eval output in full, the train output and every gradient as a projection
// [t·r, max |t|] with a hashed r. Here the hashed tensors go through the `acmix-lab forward` path
// (runForward) as files.
// Measures: eval output max |ours − ref| / max |ref| ≤ 1e-4; a projection within 1e-4 · scale · √numel (the
// elementwise bound's size for uncorrelated errors; ours stay below 4e-5) and max |t| within 2e-4 · scale:
// float32 round-off through ~30 train-mode BatchNorms alone moves the largest gradients that much (against the
// float64 reference PyTorch's own float32 is off by up to 4.5e-5 · scale, TensorFlow's CPU convolutions by up
// to 1.7e-4 · scale on YOLOv8n-P6). A gradient's scale is the largest of its module's (conv + bn) gradients:
// a BatchNorm bias whose output reaches only train-mode BatchNorms through linear layers (C2PSA's pe, proj
// and ffn.1 have no activation) has an analytically zero gradient, of which any float32 value is round-off.
// Each case runs twice: with TensorFlow's conv kernels, and with the conv kernels the trainer installs: the Winograd
// 3×3 convs (@acmix-lab/acmix useWinogradConv) and the native filter gradient, Winograd for the 3×3 stride-1 convs
// (useNativeFilterGradient; largest max |t| error 1.9e-4 · scale on YOLOv8l, against 1.3e-4; the Winograd filter
// gradient leaves it at 1.904e-4, as with the direct one). The fused BatchNorm → SiLU's inline σ (@acmix-lab/acmix
// native/sigmoid.h, a few ulps from libm's) moves that round-off: largest 1.884e-4 · scale, YOLOv8l with TensorFlow's
// convs (1.155e-4 with the trainer's; ACMIX_LAB_BN_SILU_POLY_SIGMOID=0 gives the 1.324e-4 and 1.904e-4 above).
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { useNativeFilterGradient, useWinogradConv, winogradUnavailable } from '@acmix-lab/acmix';
import { initBackend, readSafetensors, writeSafetensors, type NamedArray, type TensorMap } from '@acmix-lab/runtime';
import { runForward } from './forward.js';
import { hashedValues, weightRange } from './hashed-tensors.js';
import { buildModel } from './model.js';
import { exportStateDict } from './weights.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/torch-hashed');
await initBackend();
const cases = fs.readdirSync(fixtures).filter((c) => fs.existsSync(path.join(fixtures, c, 'case.json'))).sort();

interface Case { scale: string; input: number[]; train_output: number[]; input_head: number[] }

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const hashed = (name: string, shape: number[], lo: number, hi: number): NamedArray =>
  ({ dtype: 'F32', shape, data: hashedValues(name, numel(shape), lo, hi) });

function maxAbs(data: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]!));
  return m;
}

/** The weights, input and output-gradient files of one case, in a temp dir. */
async function caseFiles(model: string, c: Case) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hashed-'));
  const m = buildModel(model, { scale: c.scale });
  const sd = await exportStateDict(m);
  m.dispose();
  for (const [key, t] of sd) {
    const range = weightRange(key, t.shape);
    if (range) sd.set(key, hashed(key, t.shape, ...range));
  }
  const files = { weights: path.join(tmp, 'weights.safetensors'), input: path.join(tmp, 'input.safetensors'), grad: path.join(tmp, 'grad.safetensors') };
  writeSafetensors(files.weights, sd);
  writeSafetensors(files.input, new Map([['input', hashed('input', c.input, 0, 1)]]));
  writeSafetensors(files.grad, new Map([['grad_output', hashed('grad_output', c.train_output, -1, 1)]]));
  return { ...files, out: (name: string) => path.join(tmp, name) };
}

/** The Conv (or plain module) a parameter belongs to: `model.10.m.0.attn.pe.bn.bias` → `model.10.m.0.attn.pe`. */
const moduleOf = (key: string) => key.replace(/(\.(bn|conv))?\.[^.]+$/, '');

describe('whole-model parity with PyTorch, hashed weights (YOLO11n, YOLOv8n-P6, YOLOv8s, YOLOv8l)', () => {
  const trainerConvs = (on: boolean) => { useWinogradConv(on); useNativeFilterGradient(on); };
  afterEach(() => { trainerConvs(false); });
  const routes = winogradUnavailable() === null ? ['TensorFlow\'s convs', 'the trainer\'s conv kernels'] : ['TensorFlow\'s convs'];

  it.each(routes.flatMap((route) => cases.map((name) => [name, route] as const)))('%s, %s: eval and train outputs, the input gradient and every parameter gradient', async (name, route) => {
    trainerConvs(route !== routes[0]);
    const dir = path.join(fixtures, name);
    const model = path.join(dir, 'model.yaml');
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as Case;
    expect(Array.from(hashedValues('input', 4, 0, 1))).toEqual(c.input_head.map((v) => Math.fround(v)));
    const f = await caseFiles(model, c);
    const before = tf.memory().numTensors;

    await runForward({ model, weights: f.weights, input: f.input, scale: c.scale, out: f.out('eval.safetensors') });
    const evalOut = readSafetensors(f.out('eval.safetensors')).get('output')!;
    const evalRef = readSafetensors(path.join(dir, 'expected.safetensors')).get('output')!;
    expect(evalOut.shape).toEqual(evalRef.shape);
    let d = 0;
    for (let i = 0; i < evalRef.data.length; i++) d = Math.max(d, Math.abs((evalOut.data[i] as number) - (evalRef.data[i] as number)));
    expect(d / maxAbs(evalRef.data as Float32Array)).toBeLessThan(1e-4);

    await runForward({ model, weights: f.weights, input: f.input, scale: c.scale, grad: f.grad, train: true, out: f.out('train.safetensors') });
    expect(tf.memory().numTensors).toBe(before);
    const got: TensorMap = readSafetensors(f.out('train.safetensors'));
    const ref: TensorMap = readSafetensors(path.join(dir, 'expected-train.safetensors'));
    expect([...got.keys()].map((k) => `proj.${k}`).sort()).toEqual([...ref.keys()].sort());
    const projOf = (k: string) => Array.from(ref.get(`proj.${k}`)!.data as Float64Array) as [number, number];
    const scales = new Map<string, number>();
    for (const k of got.keys()) scales.set(moduleOf(k), Math.max(scales.get(moduleOf(k)) ?? 0, projOf(k)[1]));
    for (const [k, t] of got) {
      const [dotRef, maxRef] = projOf(k);
      const r = hashedValues(`proj:${k === 'grad_input' ? 'input' : k.replace(/^grad\./, '')}`, t.data.length, -1, 1);
      let dot = 0;
      for (let i = 0; i < r.length; i++) dot += (t.data[i] as number) * r[i]!;
      const scale = scales.get(moduleOf(k))!;
      expect(Math.abs(dot - dotRef) / (scale * Math.sqrt(r.length)), `${k}: t·r ${dot} vs ${dotRef}`).toBeLessThan(1e-4);
      expect(Math.abs(maxAbs(t.data as Float32Array) - maxRef) / scale, `${k}: max |t|`).toBeLessThan(2e-4);
    }
  });
});
