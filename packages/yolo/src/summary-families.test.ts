// Sizes of the YOLO11, YOLOv8-P2/P6 and YOLOv5u families against Ultralytics' own printed summaries
// (model_info: layers = len(model.modules()), parameters, gradients, GFLOPs at 640), at every scale for
// which one is published. "Fused" summaries are what val/predict print after fuse() (ModelSummary.fused).
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@acmix-lab/runtime';
import { loadModelYaml } from './model-yaml.js';
import { buildModel } from './model.js';
import { planModel } from './parse.js';
import { formatSummary, modelSummary, type ModelSummary } from './summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const models = path.resolve(here, '../../../experiments/models');
// Parameters and modules of every stock family at every scale (nc 80) as the PyTorch port of Ultralytics'
// modules counts them (tools/fixtures/yolo_torch.py::write_sizes): the scales no published summary covers.
const portSizes = JSON.parse(fs.readFileSync(path.resolve(here, '../fixtures/torch/sizes.json'), 'utf8')) as Record<string, { params: number; layers: number }>;

const built = new Map<string, ModelSummary>();

/** The summary at 640 px, each model built once per file (the large scales take seconds). */
function sizeOf(file: string, scale: string, nc = 80): ModelSummary {
  const key = `${file}:${scale}:${nc}`;
  if (!built.has(key)) {
    const m = buildModel(path.join(models, file), { scale, nc });
    built.set(key, modelSummary(m, 640));
    m.dispose();
  }
  return built.get(key)!;
}

/** Published GFLOPs are printed with one decimal; ours must be within 1% of them. */
function expectGflops(ours: number, published: number): void {
  expect(Math.abs(ours - published) / published).toBeLessThan(0.01);
}

// ultralytics/cfg/models/11/yolo11.yaml, scale comments (8.3): "summary: 319 layers, 2624080 parameters,
// 2624064 gradients, 6.6 GFLOPs" … at nc 80.
const YOLO11 = {
  n: [319, 2_624_080, 2_624_064, 6.6], s: [319, 9_458_752, 9_458_736, 21.7], m: [409, 20_114_688, 20_114_672, 68.5],
  l: [631, 25_372_160, 25_372_144, 87.6], x: [631, 56_966_176, 56_966_160, 196.0],
} as const;

// ultralytics/cfg/models/v8/yolov8-p6.yaml, scale comments (PR #13862, 2024-06-21): "YOLOv8n-p6 summary
// (fused): 220 layers, 4976656 parameters, 42560 gradients, 8.7 GFLOPs" … at nc 80.
const P6_FUSED = {
  n: [220, 4_976_656, 8.7], s: [220, 17_897_168, 28.5], m: [285, 44_862_352, 83.1], l: [350, 62_351_440, 167.3], x: [350, 97_382_352, 261.1],
} as const;

// docs/en/models/yolov5.md performance table (yolov5{n,s,m,l,x}u.pt at nc 80): params (M) and FLOPs (B),
// rounded; they are the fused model's numbers.
const V5U_DOCS = { n: [2.6, 7.7], s: [9.1, 24.0], m: [25.1, 64.2], l: [53.2, 135.0], x: [97.2, 246.4] } as const;

describe('model zoo sizes: YOLO11, YOLOv8-P2/P6, YOLOv5u', () => {
  beforeAll(async () => { await initBackend(); });

  it.each(Object.entries(YOLO11))('yolo11%s: layers, parameters, gradients, GFLOPs as its yaml comment', (scale, [layers, params, grads, gflops]) => {
    const s = sizeOf('yolo11.yaml', scale);
    expect([s.layerCount, s.params, s.gradients]).toEqual([layers, params, grads]);
    expectGflops(s.gflops, gflops);
  });

  it('yolo11n per-layer parameters as Ultralytics prints them', () => {
    // Rows 0–22 (backbone and neck) of a YOLO11n-pose table (Ultralytics 8.3 training log, nc 1): the
    // layers before the head are those of yolo11n.
    const s = sizeOf('yolo11.yaml', 'n');
    expect(s.layers.slice(0, 23).map((r) => r.params)).toEqual([464, 4672, 6640, 36992, 26080, 147712, 87040, 295424, 346112,
      164608, 249728, 0, 0, 111296, 0, 0, 32096, 36992, 0, 86720, 147712, 0, 378880]);
    const text = formatSummary(s, 'YOLO11n');
    expect(text).toContain('  2                  -1  1      6640  ultralytics.nn.modules.block.C3k2            [32, 64, 1, False, 0.25]');
    expect(text).toContain(' 10                  -1  1    249728  ultralytics.nn.modules.block.C2PSA           [256, 256, 1]');
    expect(text).toMatch(/YOLO11n summary: 319 layers, 2,624,080 parameters, 2,624,064 gradients, 6\.6 GFLOPs at 640$/);
  });

  it('yolo11 at m, l, x forces c3k on every C3k2 (parse_model: `if scale in "mlx": args[3] = True`)', () => {
    const c3k = (scale: string) => planModel(loadModelYaml(path.join(models, 'yolo11.yaml')), { scale }).layers
      .filter((l) => l.module === 'C3k2').map((l) => l.args[3]);
    expect(c3k('n')).toEqual([false, false, true, true, false, false, false, true]);
    for (const scale of ['m', 'l', 'x']) expect(c3k(scale)).toEqual(Array(8).fill(true));
  });

  it('four-level heads: yolov8-p2 strides 4–32, yolov8-p6 8–64 (images in multiples of 64)', () => {
    for (const [file, strides, grid] of [['yolov8-p2.yaml', [4, 8, 16, 32], 32], ['yolov8-p6.yaml', [8, 16, 32, 64], 64]] as const) {
      const m = buildModel(path.join(models, file), { scale: 'n', nc: 2 });
      expect([m.strides, m.gridSize]).toEqual([strides, grid]);
      m.dispose();
    }
    // GFLOPs at a size off the 64-px grid: get_flops' area scaling (a P3–P6 model cannot run 96 px).
    const m = buildModel(path.join(models, 'yolov8-p6.yaml'), { scale: 'n' });
    expect(modelSummary(m, 96).gflops).toBeCloseTo(sizeOf('yolov8-p6.yaml', 'n').gflops * (96 / 640) ** 2, 10);
    m.dispose();
  });

  it.each(Object.entries(P6_FUSED))('yolov8%s-p6: fused layers, parameters and GFLOPs as its yaml comment', (scale, [layers, params, gflops]) => {
    const s = sizeOf('yolov8-p6.yaml', scale);
    expect([s.fused.layerCount, s.fused.params]).toEqual([layers, params]);
    expectGflops(s.fused.gflops, gflops);
  });

  it('yolov8-p2 at n and x (nc 80) and n and s (nc 1) as Ultralytics printed them', () => {
    // "YOLOv8n-p2 summary: 277 layers, 3354144 parameters, 3354128 gradients, 17.4 GFLOPs" (model.info()
    // returning 17.4345728): M. Yasin (Ultralytics), "A Simple Trick To Increase YOLOv8 Accuracy On
    // Small Objects With No Overhead", 2024-07-01.
    const n = sizeOf('yolov8-p2.yaml', 'n');
    expect([n.layerCount, n.params, n.gradients]).toEqual([277, 3_354_144, 3_354_128]);
    expectGflops(n.gflops, 17.4345728);
    // ultralytics/ultralytics issue #3607: "YOLOv8x-p2 = 66637536" parameters (yolov8x-p2.yaml unmodified).
    expect(sizeOf('yolov8-p2.yaml', 'x').params).toBe(66_637_536);
    // An Ultralytics 8.2.79 validation log at nc 1 ("YOLOv8n-p2 summary (fused): 207 layers, 2,921,172
    // parameters"; "YOLOv8s-p2 summary (fused): 207 layers, 10,626,708 parameters, 36.6 GFLOPs"); its
    // YOLOv8n/s lines (3,005,843 and 11,125,971 fused parameters) are yolov8.yaml at nc 1 too.
    expect(sizeOf('yolov8.yaml', 'n', 1).fused.params).toBe(3_005_843);
    expect(sizeOf('yolov8.yaml', 's', 1).fused.params).toBe(11_125_971);
    expect([sizeOf('yolov8-p2.yaml', 'n', 1).fused.layerCount, sizeOf('yolov8-p2.yaml', 'n', 1).fused.params]).toEqual([207, 2_921_172]);
    const s1 = sizeOf('yolov8-p2.yaml', 's', 1);
    expect([s1.fused.layerCount, s1.fused.params]).toEqual([207, 10_626_708]);
    expectGflops(s1.fused.gflops, 36.6);
  });

  it('yolov5u (yolov5.yaml: 6×6 stem, C3, the anchor-free Detect) as Ultralytics printed it', () => {
    // nc 80: "YOLOv5s summary: 262 layers, 9,153,152 parameters, 9,153,136 gradients, 24.2 GFLOPs" and
    // "YOLOv5m summary: 339 layers, 25,111,456 parameters, 25,111,440 gradients, 64.6 GFLOPs" (a training
    // script's notes, YOLO("yolov5m.yaml")); "YOLOv5n summary: … 2,654,816 parameters, … 7.8 GFLOPs"
    // (Ultralytics 8.4.174, yolov5nu.pt; 8.4 counts layers differently).
    for (const [scale, layers, params, grads, gflops] of [['s', 262, 9_153_152, 9_153_136, 24.2], ['m', 339, 25_111_456, 25_111_440, 64.6]] as const) {
      const s = sizeOf('yolov5.yaml', scale);
      expect([s.layerCount, s.params, s.gradients]).toEqual([layers, params, grads]);
      expectGflops(s.gflops, gflops);
    }
    const n = sizeOf('yolov5.yaml', 'n');
    expect(n.params).toBe(2_654_816);
    expectGflops(n.gflops, 7.8);
  });

  it('yolov5nu at nc 1: the per-layer table, unfused and fused summaries of an Ultralytics 8.2.103 log', () => {
    // widerface training log: "YOLOv5n summary: 262 layers, 2,508,659 parameters, 2,508,643 gradients,
    // 7.2 GFLOPs" and, validating, "YOLOv5n summary (fused): 193 layers, 2,503,139 parameters, 7.1 GFLOPs".
    const s = sizeOf('yolov5.yaml', 'n', 1);
    expect(s.layers.map((r) => r.params)).toEqual([1760, 4672, 4800, 18560, 29184, 73984, 156928, 295424, 296448, 164608,
      33024, 0, 0, 90880, 8320, 0, 0, 22912, 36992, 0, 74496, 147712, 0, 296448, 751507]);
    expect(formatSummary(s)).toContain('  0                  -1  1      1760  ultralytics.nn.modules.conv.Conv             [3, 16, 6, 2, 2]');
    expect([s.layerCount, s.params, s.gradients]).toEqual([262, 2_508_659, 2_508_643]);
    expectGflops(s.gflops, 7.2);
    expect([s.fused.layerCount, s.fused.params]).toEqual([193, 2_503_139]);
    expectGflops(s.fused.gflops, 7.1);
  });

  it.each(Object.entries(V5U_DOCS))('yolov5%su: fused parameters (M) and GFLOPs as the YOLOv5 docs table', (scale, [mParams, gflops]) => {
    const s = sizeOf('yolov5.yaml', scale);
    expect(Math.round(s.fused.params / 1e5) / 10).toBe(mParams);
    expectGflops(s.fused.gflops, gflops);
  });

  it.each(Object.keys(portSizes))('%s: parameters and layers as the PyTorch port builds it', (key) => {
    const [file, scale] = key.split(':') as [string, string];
    const s = sizeOf(file, scale);
    expect({ params: s.params, layers: s.layerCount }).toEqual(portSizes[key]);
  });

  it('the fused numbers match yolov8n\'s (cfg/models/v8 yolov8n: 168 layers, 3,151,904 parameters, 8.7 GFLOPs fused)', () => {
    const s = sizeOf('yolov8.yaml', 'n');
    expect([s.fused.layerCount, s.fused.params]).toEqual([168, 3_151_904]);
    expectGflops(s.fused.gflops, 8.7);
  });
});
