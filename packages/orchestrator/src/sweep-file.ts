// The sweep file (experiments/sweeps/*.yaml, semantics in README.md): read once, validated with
// zod, every reference resolved against the base model, every problem a ConfigError naming the
// sweep file, line, column and field. Paths (model, data) are relative to the working directory,
// as Ultralytics resolves `model=` and `data=`.
import path from 'node:path';
import { z } from 'zod';
import { configErrorAt, readYamlFile, validateYaml, type ParsedYaml } from '@acmix-lab/runtime';
import { resolveTrainConfig, trainConfigSchema, type TrainConfigInput } from '@acmix-lab/trainer';
import {
  describeLayerRefs, findLayer, loadModelYaml, lookupModule, ModelYamlError, planModel, type LayerPlan, type ModelPlan, type ModelYamlSource,
} from '@acmix-lab/yolo';
import type { LayerEntry, PlacementKind } from './placement.js';
import {
  moduleSchema, positionArgsSchema, resolveModuleAxis, resolveModules, resolvePositionArgs, type ModuleGridAxis, type SweepModule,
} from './sweep-modules.js';

const KINDS = ['after', 'replace', 'residual'] as const satisfies readonly PlacementKind[];

const layerRef = z.union([z.int().nonnegative(), z.string().min(1)], { error: 'a layer index (0, 1, …) or a layer name (neck.P3, backbone.4, …)' });

const sweepSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only (it names run folders)'),
  model: z.string().min(1),
  scales: z.array(z.string()).min(1).optional(),
  module: moduleSchema.default(['ACmix', []]),
  positions: z.record(
    z.string().regex(/^[A-Za-z0-9_-]+$/, 'position names: letters, digits, _ and - only'),
    z.object({ after: layerRef.optional(), replace: layerRef.optional(), residual: layerRef.optional(), args: positionArgsSchema.optional() }).strict(),
  ).default({}),
  combine: z.union([z.literal('subsets'), z.object({ size: z.int().nonnegative() }).strict(), z.array(z.array(z.string()))],
    { error: 'subsets, {size: k} or a list of position lists such as [[], [P5], [P3, P5]]' }).default('subsets'),
  grid: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  seeds: z.array(z.int().nonnegative()).min(1).default([0]),
  data: z.string().min(1),
  synth: z.object({
    train: z.int().positive().optional(), val: z.int().positive().optional(), imgsz: z.int().positive().optional(),
    classes: z.int().positive().optional(), seed: z.int().nonnegative().optional(),
  }).strict().optional(),
  train: z.record(z.string(), z.unknown()).default({}),
  strategy: z.enum(['grid', 'halving']).default('grid'),
  min_epochs: z.int().positive().optional(),
  eta: z.int().min(2).optional(),
}).strict();

/** Training keys the sweep sets itself (per variant, or the runner per run). */
const SWEEP_SET_TRAIN_KEYS: Record<string, string> = {
  model: 'the variants', model_scale: '`scales`', data: '`data`', seed: '`seeds`', name: 'the runner (one run per variant and seed)',
  resume: 'the runner',
};

export interface SweepPosition {
  name: string;
  kind: PlacementKind;
  /** Index of the layer in the base model. */
  layer: number;
  /** Per-position yaml args by module name (after / replace; `args: [..]` is the only module's); {} when none. */
  args: Record<string, unknown[]>;
}

export interface TrainGridAxis {
  /** As written: `train.lr0`. */
  key: string;
  target: 'train';
  /** The training argument (Ultralytics name). */
  name: string;
  values: unknown[];
}

export type GridAxis = ModuleGridAxis | TrainGridAxis;

export type Combine = 'subsets' | { size: number } | string[][];

/** How far runs train: every run to train.epochs, or successive halving (strategy.ts). */
export type StrategySpec = { kind: 'grid' } | { kind: 'halving'; minEpochs: number; eta: number };

/** `acmix-lab data synth` options: the dataset generated in data's folder when data.yaml is absent. */
export interface SynthSpec {
  train?: number;
  val?: number;
  imgsz?: number;
  classes?: number;
  seed?: number;
}

export interface Sweep {
  file: string;
  /** The parsed file, to point later errors (variants.ts) at their field. */
  parsed: ParsedYaml;
  name: string;
  model: ModelYamlSource;
  /** The base model planned at the first scale: layer references are resolved on it. */
  plan: ModelPlan;
  /** Scales of the base (null when the yaml has none). */
  scales: (string | null)[];
  /** The modules placed, in file order: one for `module: [ACmix, []]`; each of a list is a variant axis. */
  modules: SweepModule[];
  /** `module` is a list: variant names carry the module (`yolo11n+CBAM@P3+P5`). */
  moduleAxis: boolean;
  /** In file order. */
  positions: SweepPosition[];
  combine: Combine;
  grid: GridAxis[];
  seeds: number[];
  /** Absolute path of data.yaml (not opened here: the dataset may be made later). */
  data: string;
  /** Generate a synthetic dataset at `data` when it is absent; null: the dataset must exist. */
  synth: SynthSpec | null;
  /** The sweep's training arguments (Ultralytics names), validated. */
  train: Record<string, unknown>;
  strategy: StrategySpec;
}

type Raw = z.infer<typeof sweepSchema>;

/** A base layer's entry as written in the model yaml. */
export function baseEntry(model: ModelYamlSource, layer: LayerPlan): LayerEntry {
  const [section, k] = layer.yamlPath as ['backbone' | 'head', number];
  return model.spec[section][k]! as LayerEntry;
}

export function readSweepFile(file: string, options: { cwd?: string } = {}): Sweep {
  const cwd = options.cwd ?? process.cwd();
  const parsed = readYamlFile(file);
  const raw = validateYaml(parsed, sweepSchema);
  const model = loadBase(parsed, path.resolve(cwd, raw.model), cwd);
  const scales = resolveScales(parsed, raw, model);
  const plan = planModel(model, { scale: scales[0] ?? undefined });
  const { modules, moduleAxis } = resolveModules(parsed, raw.module);
  const positions = Object.entries(raw.positions).map(([name, p]) => resolvePosition(parsed, model, plan, modules, name, p));
  const data = path.resolve(cwd, raw.data);
  checkTrain(parsed, raw.train, data);
  const grid = Object.entries(raw.grid).reduce<GridAxis[]>((axes, [key, values]) => [...axes, resolveAxis(parsed, key, values, modules, axes, raw.train, data)], []);
  checkCombine(parsed, raw.combine, positions);
  raw.seeds.forEach((s, i) => { if (raw.seeds.indexOf(s) !== i) throw configErrorAt(parsed, ['seeds', i], `seed ${s} is listed twice`); });
  if (raw.synth && path.basename(data) !== 'data.yaml') {
    throw configErrorAt(parsed, ['data'], 'with synth, data names the data.yaml of the folder to generate (…/data.yaml)');
  }
  const strategy = resolveStrategy(parsed, raw, data);
  return {
    file, parsed, name: raw.name, model, plan, scales, modules, moduleAxis, positions, combine: raw.combine, grid, seeds: raw.seeds, data,
    synth: raw.synth ?? null, train: raw.train, strategy,
  };
}

/** Halving needs its first rung below train.epochs and a validation every epoch, which it ranks by. */
function resolveStrategy(parsed: ParsedYaml, raw: Raw, data: string): StrategySpec {
  if (raw.strategy === 'grid') {
    for (const key of ['min_epochs', 'eta'] as const) {
      if (raw[key] !== undefined) throw configErrorAt(parsed, [key], 'applies only with strategy: halving');
    }
    return { kind: 'grid' };
  }
  if (raw.min_epochs === undefined) throw configErrorAt(parsed, ['strategy'], 'halving needs min_epochs: the epochs every variant trains before the first cut');
  const train = resolveTrainConfig({ ...raw.train, model: 'model.yaml', data } as TrainConfigInput);
  if (raw.min_epochs >= train.epochs) throw configErrorAt(parsed, ['min_epochs'], `must be below train.epochs (${train.epochs})`);
  if (!train.val) throw configErrorAt(parsed, ['strategy'], 'halving ranks variants by their validation at each rung: train.val must be true');
  return { kind: 'halving', minEpochs: raw.min_epochs, eta: raw.eta ?? 3 };
}

function loadBase(parsed: ParsedYaml, file: string, cwd: string): ModelYamlSource {
  try {
    return loadModelYaml(file);
  } catch (err) {
    // An unreadable file is the sweep's fault; errors inside the model yaml name the model yaml.
    if (err instanceof ModelYamlError && err.line === 0) {
      throw configErrorAt(parsed, ['model'], `${err.reason}: ${file} (paths are relative to the working directory ${cwd})`);
    }
    throw err;
  }
}

function resolveScales(parsed: ParsedYaml, raw: Raw, model: ModelYamlSource): (string | null)[] {
  const available = Object.keys(model.spec.scales ?? {});
  if (!raw.scales) return [planModel(model).scale];
  raw.scales.forEach((s, i) => {
    if (!available.includes(s)) {
      throw configErrorAt(parsed, ['scales', i], available.length ? `no scale '${s}' in ${model.file} (has ${available.join(', ')})` : `${model.file} has no scales`);
    }
    if (raw.scales!.indexOf(s) !== i) throw configErrorAt(parsed, ['scales', i], `scale '${s}' is listed twice`);
  });
  return raw.scales;
}

type RawPosition = Raw['positions'][string];

/** A base layer's yaml c2 when its module takes one (its first yaml arg), else null: it keeps its input's channels. */
export function yamlC2(model: ModelYamlSource, layer: LayerPlan): unknown {
  return layer.def.role === 'channels' && layer.def.c2Arg !== 'none' ? baseEntry(model, layer)[3][0] ?? null : null;
}

function resolvePosition(parsed: ParsedYaml, model: ModelYamlSource, plan: ModelPlan, modules: SweepModule[], name: string, p: RawPosition): SweepPosition {
  const kinds = KINDS.filter((k) => p[k] !== undefined);
  if (kinds.length !== 1) {
    throw configErrorAt(parsed, ['positions', name], kinds.length ? `give one of after, replace, residual (got ${kinds.join(' and ')})` : 'give one of after: L, replace: L or residual: L');
  }
  const kind = kinds[0]!;
  const here = (reason: string) => configErrorAt(parsed, ['positions', name, kind], reason);
  const index = findLayer(plan, p[kind]!);
  if (index === null) throw here(`no layer ${JSON.stringify(p[kind])} in ${plan.file} (${describeLayerRefs(plan)})`);
  const layer = plan.layers[index]!;
  const what = `layer ${index} (${layer.module})`;
  if (layer.def.role === 'detect') throw here(`${what} is the model's output: nothing can ${kind === 'after' ? 'follow' : kind} it`);
  const placed = modules.map((m) => m.name).join(', ');
  if (kind === 'replace' && layer.def.multiInput) throw here(`${what} reads ${layer.inputs.length} layers; ${placed} take${modules.length > 1 ? '' : 's'} one input`);
  if (kind === 'residual') {
    if (layer.module !== 'C2f') throw here(`${what}: residual needs a C2f (${placed} go${modules.length > 1 ? '' : 'es'} inside its bottlenecks' residual connections)`);
    const without = modules.find((m) => !lookupModule(`C2f_${m.name}`));
    if (without) throw here(`${without.name} has no residual form (no module C2f_${without.name})${modules.length > 1 ? ': a residual position needs one for every listed module' : ''}`);
    const [, , , , g = 1, e = 0.5] = layer.args; // C2f(c1, c2, n, shortcut, g, e)
    if (g !== 1 || e !== 0.5) throw here(`${what} has g=${String(g)}, e=${String(e)}; C2f_<module> keeps C2f's defaults g=1, e=0.5`);
    if (p.args) throw configErrorAt(parsed, ['positions', name, 'args'], `residual takes the C2f's args, and ${placed}'s from \`module\` and \`grid\``);
  }
  const { args, pathOf } = resolvePositionArgs(parsed, modules, name, p.args);
  if (kind === 'replace') {
    const c2 = yamlC2(model, layer);
    for (const [module, a] of Object.entries(args)) {
      if (a[0] != null && modules.find((m) => m.name === module)!.def.argNames[0] === 'c2' && a[0] !== c2) {
        throw configErrorAt(parsed, [...pathOf(module), 0], `replace keeps ${what}'s output channels: c2 ${JSON.stringify(c2)}, not ${JSON.stringify(a[0])}`);
      }
    }
  }
  return { name, kind, layer: index, args };
}

/** The first schema issue of a training config, as an error at `where(key)`. */
function checkTrainInput(parsed: ParsedYaml, input: Record<string, unknown>, where: (key: string) => (string | number)[]): void {
  const result = trainConfigSchema.safeParse(input);
  if (result.success) return;
  const issue = result.error.issues[0]!;
  const key = String(issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path[0]);
  throw configErrorAt(parsed, where(key), issue.code === 'unrecognized_keys' ? `unknown training argument '${key}' (Ultralytics names, as in args.yaml)` : issue.message);
}

function checkTrain(parsed: ParsedYaml, train: Record<string, unknown>, data: string): void {
  for (const key of Object.keys(train)) {
    if (key in SWEEP_SET_TRAIN_KEYS) throw configErrorAt(parsed, ['train', key], `set by ${SWEEP_SET_TRAIN_KEYS[key]}, not in train`);
  }
  checkTrainInput(parsed, { ...train, model: 'model.yaml', data }, (key) => ['train', key]);
}

function resolveAxis(parsed: ParsedYaml, key: string, values: unknown[], modules: SweepModule[], earlier: GridAxis[], train: Record<string, unknown>, data: string): GridAxis {
  const here = (reason: string) => configErrorAt(parsed, ['grid', key], reason);
  const [target, name] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
  values.forEach((v, i) => {
    if (values.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) !== i) throw configErrorAt(parsed, ['grid', key, i], `${JSON.stringify(v)} is listed twice`);
  });
  if (target === 'module') return resolveModuleAxis(parsed, key, values, modules, earlier.filter((a) => a.target === 'module'));
  if (target === 'train') {
    if (!(name in trainConfigSchema.shape)) throw here(`unknown training argument '${name}' (Ultralytics names, as in args.yaml)`);
    if (name in SWEEP_SET_TRAIN_KEYS) throw here(`${name} is set by ${SWEEP_SET_TRAIN_KEYS[name]}, not by a grid axis`);
    values.forEach((v, i) => checkTrainInput(parsed, { ...train, [name]: v, model: 'model.yaml', data }, () => ['grid', key, i]));
    return { key, target, name, values };
  }
  throw here('a grid axis is module.<arg> (e.g. module.head), module.<Module>.<arg> or train.<argument> (e.g. train.lr0)');
}

function checkCombine(parsed: ParsedYaml, combine: Combine, positions: SweepPosition[]): void {
  const names = positions.map((p) => p.name);
  if (combine === 'subsets') return;
  if (!Array.isArray(combine)) {
    if (combine.size > names.length) throw configErrorAt(parsed, ['combine', 'size'], `size ${combine.size} but the sweep has ${names.length} positions`);
    return;
  }
  const seen = new Map<string, number>();
  combine.forEach((list, i) => {
    list.forEach((n, j) => {
      if (!names.includes(n)) throw configErrorAt(parsed, ['combine', i, j], `no position '${n}' (positions: ${names.join(', ') || 'none'})`);
      if (list.indexOf(n) !== j) throw configErrorAt(parsed, ['combine', i, j], `${n} is listed twice`);
    });
    const id = [...list].sort().join('+');
    if (seen.has(id)) throw configErrorAt(parsed, ['combine', i], `the same positions as combine[${seen.get(id)}]`);
    seen.set(id, i);
  });
}
