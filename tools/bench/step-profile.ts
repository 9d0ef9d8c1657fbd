// Where a training step's time goes, for `npm run bench:train -- --profile`: every native op the
// tfjs-node backend executes is timed (by wrapping its binding's executeOp, so it sees exactly the kernels
// the step runs) and filed under an op family and the step phase TrainingStep reports (forward, loss,
// backward, optimizer, EMA). A phase's wall time minus its native ops is JavaScript: the assigner and
// loss bookkeeping in the loss phase, tape and per-op dispatch elsewhere.
import * as tf from '@tensorflow/tfjs';
import type { StepPhase } from '@acmix-lab/trainer';
import { formatTable } from './report.js';

const FAMILIES: [string, RegExp][] = [
  ['conv forward', /^Conv2D$|^DepthwiseConv2dNative$/],
  ['conv backprop input', /^Conv2DBackpropInput$|^DepthwiseConv2dNativeBackpropInput$/],
  // One op for both: the forward in the forward phase, the input gradient in the backward phase.
  ['Winograd 3×3 conv: forward / input gradient', /^AcmixLabWinogradConv2D$/],
  ['Winograd 3×3 conv: filter gradient', /^AcmixLabWinogradConv2DBackpropFilter$/],
  ['other conv backprop filter (TensorFlow\'s or native)', /^(Conv2DBackpropFilter|DepthwiseConv2dNativeBackpropFilter|AcmixLabConv2DBackpropFilter)$/],
  ['1×1 conv as MatMul (and loss matmuls)', /MatMul/],
  ['BatchNorm (with its SiLU when fused)', /BatchNorm/],
  ['concat / split / pad / slice', /^(ConcatV2|SplitV|Split|Slice|StridedSlice|Pad|PadV2|Reshape|Transpose|Tile|GatherV2|Pack|Unpack|AcmixLabFlatConcat|AcmixLabFlatSplit|AcmixLabConcat|AcmixLabSplit)$/],
  ['upsample', /ResizeNearestNeighbor/],
  ['max pool (SPPF)', /MaxPool/],
  ['fused ACmix kernels', /^ACmix/],
  ['tensor create / delete / read', /^#/],
];
const ELEMENTWISE = 'elementwise and reductions';
const PHASES: Exclude<StepPhase, 'done'>[] = ['forward', 'loss', 'backward', 'optimizer', 'ema'];

/** The op families whose name matches `pattern` (case-insensitive). */
export function opFamilies(pattern: string): string[] {
  return [...FAMILIES.map(([f]) => f), ELEMENTWISE].filter((f) => new RegExp(pattern, 'i').test(f));
}

function familyOf(op: string): string {
  return FAMILIES.find(([, re]) => re.test(op))?.[0] ?? ELEMENTWISE;
}

interface Binding { [fn: string]: (...args: unknown[]) => unknown }
interface NodeBackend { binding?: Binding; getInputTensorIds?: (tensors: tf.Tensor[]) => number[] }

/**
 * Times every native op the tfjs-node backend executes (its binding's executeOp, and tensor
 * create/delete/read as `#createTensor` …) and reports each to `record` with its input shapes
 * (as the backend looked up their ids just before: `16x40x40x64 16x40x40x32`); returns the function that
 * removes the hook.
 */
export function timeNativeOps(record: (label: string, ms: number, shapes: string) => void): () => void {
  const backend = tf.backend() as unknown as NodeBackend;
  const original = backend.binding;
  if (original === undefined || !backend.getInputTensorIds) throw new Error('timing native ops needs the native tensorflow backend');
  let shapes = '';
  const inputIds = backend.getInputTensorIds.bind(backend);
  backend.getInputTensorIds = (tensors) => {
    const ids = inputIds(tensors); // may create the tensors in TensorFlow first (createTensor)
    shapes = tensors.map((t) => t.shape.join('x')).join(' ');
    return ids;
  };
  const wrapped = Object.create(original) as Binding;
  for (const fn of ['executeOp', 'createTensor', 'deleteTensor', 'tensorDataSync']) {
    const call = original[fn]!.bind(original);
    const label = (args: unknown[]) => (fn === 'executeOp' ? String(args[0]) : `#${fn}`);
    Object.defineProperty(wrapped, fn, {
      value: (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return call(...args);
        } finally {
          record(label(args), performance.now() - t0, fn === 'executeOp' ? shapes : '');
          if (fn === 'executeOp') shapes = '';
        }
      },
    });
  }
  backend.binding = wrapped;
  return () => {
    backend.binding = original;
    delete backend.getInputTensorIds;
  };
}

export class StepProfiler {
  private phase: StepPhase = 'done';
  private phaseStart = 0;
  private on = false;
  private steps = 0;
  /** ms by `${phase}\t${family}`, and wall ms by phase. */
  private readonly native = new Map<string, number>();
  /** Native ops run (executeOp calls) by phase. */
  private readonly ops = new Map<string, number>();
  private readonly wall = new Map<string, number>();
  /** [ms, calls] by `${phase}\t${op}\t${input shapes}`, for the families `opsOf` names. */
  private readonly byOp = new Map<string, [number, number]>();
  private readonly restore: () => void;

  /** opsOf: the op families whose ops opTable lists one by one (name and input shapes). */
  constructor(private readonly opsOf: string[] = []) {
    this.restore = timeNativeOps((label, ms, shapes) => {
      if (!this.on) return;
      const family = familyOf(label);
      const key = `${this.phase}\t${family}`;
      this.native.set(key, (this.native.get(key) ?? 0) + ms);
      if (this.opsOf.includes(family)) {
        const op = `${this.phase}\t${label}\t${shapes}`;
        const [t, n] = this.byOp.get(op) ?? [0, 0];
        this.byOp.set(op, [t + ms, n + 1]);
      }
      if (!label.startsWith('#')) this.ops.set(this.phase, (this.ops.get(this.phase) ?? 0) + 1);
    });
  }

  /** TrainingStep's onPhase hook. */
  readonly onPhase = (phase: StepPhase): void => {
    const now = performance.now();
    if (this.on && this.phase !== 'done') this.wall.set(this.phase, (this.wall.get(this.phase) ?? 0) + now - this.phaseStart);
    this.phase = phase;
    this.phaseStart = now;
  };

  /** Profiles `steps` calls of `step` (which must call onPhase). */
  run(step: () => void, steps: number): void {
    this.on = true;
    for (let i = 0; i < steps; i++) step();
    this.steps += steps;
    this.on = false;
  }

  dispose(): void {
    this.restore();
  }

  /** The `top` costliest (phase, op, input shapes) of the opsOf families: ms and calls per step. */
  opTable(top: number): string {
    const rows = [...this.byOp].sort(([, [a]], [, [b]]) => b - a).slice(0, top)
      .map(([key, [ms, n]]) => {
        const [phase, op, shapes] = key.split('\t') as [string, string, string];
        return [phase, op, shapes.length > 70 ? `${shapes.slice(0, 67)}...` : shapes, (ms / this.steps).toFixed(2), (n / this.steps).toFixed(1)];
      });
    return formatTable(['phase', 'op', 'input shapes', 'ms per step', 'calls per step'], rows);
  }

  /** ms per step: family rows × phase columns, JS (wall − native) per phase, and the data wait passed in. */
  table(dataWaitMs: number): string {
    const per = (ms: number) => (ms / this.steps).toFixed(1);
    const families = [...FAMILIES.map(([f]) => f), ELEMENTWISE];
    const rows: (string | number)[][] = [];
    const nativeOf = (phase: string, family?: string) => [...this.native].filter(([k]) =>
      k.startsWith(`${phase}\t`) && (family === undefined || k.endsWith(`\t${family}`))).reduce((s, [, v]) => s + v, 0);
    for (const f of families) {
      const cells = PHASES.map((p) => nativeOf(p, f));
      if (cells.some((c) => c > 0)) rows.push([f, ...cells.map(per), per(cells.reduce((a, b) => a + b, 0))]);
    }
    const js = PHASES.map((p) => (this.wall.get(p) ?? 0) - nativeOf(p));
    rows.push(['JavaScript (assigner and loss in the loss phase; dispatch, tape)', ...js.map(per), per(js.reduce((a, b) => a + b, 0))]);
    const walls = PHASES.map((p) => this.wall.get(p) ?? 0);
    rows.push(['**phase wall**', ...walls.map(per), per(walls.reduce((a, b) => a + b, 0))]);
    const ops = PHASES.map((p) => this.ops.get(p) ?? 0);
    rows.push(['native ops run (count per step)', ...ops.map((n) => (n / this.steps).toFixed(0)), (ops.reduce((a, b) => a + b, 0) / this.steps).toFixed(0)]);
    rows.push(['data wait (DataLoader, per batch)', '', '', '', '', '', dataWaitMs.toFixed(1)]);
    return formatTable(['ms per step', ...PHASES, 'all'], rows);
  }
}
