// Ultralytics nn/tasks.py::parse_model, behaviour for behaviour, producing a plan of layers:
// - scale: explicit option, else guessed from the file name (yolov8s-acmix.yaml → s); a yaml with
//   scales and no scale takes the first one with a warning; depth, width, max_channels = scales[scale]
//   (without scales: depth_multiple / width_multiple, default 1, no channel cap).
// - repeats n = max(round(n·depth), 1) if n > 1 (Python's round); channel modules get
//   c2 = make_divisible(min(c2, max_channels)·width, 8) unless c2 == nc, args = [c1, c2, ...]
//   (modules that keep their channels: [c1, ...], ModuleDef.c2Arg); C2f/C3 get the repeat count
//   as args[2]; Concat sums channels; Detect gets [ch[x] for x in f]; C3k2's scale rule (c3k at
//   m/l/x) and `legacy = False` (YOLO11's Detect head).
// - string args: 'nc' → nc, 'None' → None, other literals evaluated, anything else kept ('nearest').
// - `from`: -1 is the previous layer, other negatives count back from the current layer, others
//   are absolute; ch is the input channels at layer 0 and the layers' channels after.
// - each layer's output stride (input image = 1) from the modules' strides, so layers can be named
//   by level (layer-names.ts) and Concat inputs of different sizes are caught before building.
// Errors are ModelYamlErrors at the offending yaml node.
import type { ModelScope, ModuleDef } from './modules/module.js';
import { pythonRound } from './image/letterbox.js';
import { evalStringArg, makeDivisible, type ArgLocals } from './pyargs.js';
import { lookupModule, moduleNames } from './registry.js';
import { guessModelScale, yamlErrorAt, type LayerEntry, type ModelYamlSource } from './model-yaml.js';

export interface BuildOptions {
  /** Model scale (a key of `scales`); default from the file name, else the first scale. */
  scale?: string;
  /** Override the yaml's nc (DetectionModel: "Overriding model.yaml nc"). */
  nc?: number;
  /** Input channels when the yaml has no `ch` (the yaml's value wins, as in DetectionModel). */
  ch?: number;
  /** Default image size for summaries and anchor grids (the model itself takes any size). */
  imgsz?: number;
  /** Seed for the initial weights: the same seed builds the same model. Default: random. */
  seed?: number;
}

export interface LayerPlan {
  index: number;
  /** `from` as written in the yaml. */
  from: number | number[];
  /** Source of each input: a layer index, or -1 for the image input. */
  inputs: number[];
  /** Repeats after the depth gain (the summary's n). */
  n: number;
  /** How many times the module is instantiated in sequence (1 for C2f/C3, which take n as an arg). */
  instances: number;
  module: string;
  def: ModuleDef;
  /** Arguments as parse_model passes them to the module constructor. */
  args: unknown[];
  /** Output channels as parse_model tracks them. */
  c2: number;
  /** Output stride relative to the input image (8 for a P3 feature map), from the modules' strides. */
  stride: number;
  /** Where the entry is in the yaml, for errors raised while building it. */
  yamlPath: (string | number)[];
  field: string;
}

export interface ModelPlan extends ModelScope {
  file: string;
  scale: string | null;
  depth: number;
  width: number;
  maxChannels: number;
  nc: number | null;
  ch: number;
  layers: LayerPlan[];
  warnings: string[];
}

type Path = (string | number)[];

/** The first problem with a module's yaml args (strings already evaluated): the arg's index, or null for the whole list. */
export function moduleArgsIssue(def: ModuleDef, args: unknown[]): { index: number | null; message: string } | null {
  const checked = def.args.safeParse(args);
  if (checked.success) return null;
  const issue = checked.error.issues[0]!;
  const k = issue.path[0];
  return typeof k === 'number' ? { index: k, message: issue.message } : { index: null, message: `${issue.message} (args: ${def.argNames.join(', ')})` };
}

function chooseScale(src: ModelYamlSource, opts: BuildOptions, warnings: string[]): { scale: string | null; depth: number; width: number; maxChannels: number } {
  const { scales } = src.spec;
  if (!scales) {
    if (opts.scale) throw yamlErrorAt(src, [], 'scales', `scale '${opts.scale}' requested but the yaml has no scales`);
    return { scale: null, depth: src.spec.depth_multiple ?? 1, width: src.spec.width_multiple ?? 1, maxChannels: Infinity };
  }
  let scale = opts.scale ?? guessModelScale(src.file);
  if (!scale) {
    scale = Object.keys(scales)[0]!;
    warnings.push(`no model scale passed. Assuming scale='${scale}'.`);
  }
  const entry = scales[scale];
  if (!entry) throw yamlErrorAt(src, ['scales'], 'scales', `no scale '${scale}' (has ${Object.keys(scales).join(', ')})`);
  const [depth, width, maxChannels] = entry;
  return { scale, depth, width, maxChannels };
}

export function planModel(src: ModelYamlSource, opts: BuildOptions = {}): ModelPlan {
  const warnings: string[] = [];
  const { scale, depth, width, maxChannels } = chooseScale(src, opts, warnings);
  const nc = opts.nc ?? src.spec.nc ?? null;
  const chIn = src.spec.ch ?? opts.ch ?? 3;
  const locals: ArgLocals = { nc, depth, width, max_channels: maxChannels };
  const entries: [LayerEntry, Path, string][] = [
    ...src.spec.backbone.map((e, k): [LayerEntry, Path, string] => [e, ['backbone', k], `backbone[${k}]`]),
    ...src.spec.head.map((e, k): [LayerEntry, Path, string] => [e, ['head', k], `head[${k}]`]),
  ];
  const layers: LayerPlan[] = [];
  let ch: number[] = [chIn];
  let c2 = chIn;
  let legacy = true;
  entries.forEach(([[from, n0, module, rawArgs], at, field], i) => {
    const err = (sub: Path, what: string, reason: string) => yamlErrorAt(src, [...at, ...sub], `${field}${what}`, reason);
    const def = lookupModule(module);
    if (!def) throw err([2], ' module', `unknown module '${module}' (known: ${moduleNames().join(', ')})`);
    if (def.role === 'detect' && i !== entries.length - 1) throw err([2], ' module', `${module} must be the last layer`);
    if ((def.multiInput ?? false) !== Array.isArray(from)) {
      throw err([0], ' from', def.multiInput ? `${module} takes a list of layers, e.g. [-1, 6]` : `${module} takes one layer, got a list`);
    }
    const froms = Array.isArray(from) ? from : [from];
    const inputs = froms.map((f, k) => {
      const ok = f === -1 || (f >= 0 && f < i) || (f < -1 && f >= -i);
      const sub = Array.isArray(from) ? [0, k] : [0];
      if (!ok) {
        const range = i === 0 ? 'only -1 (the input image)' : `-1 … -${i} or 0 … ${i - 1}`;
        throw err(sub, ' from', `from ${f} is out of range for layer ${i} (${range})`);
      }
      const src = f === -1 ? i - 1 : f < 0 ? i + f : f;
      if (src >= 0 && layers[src]!.def.role === 'detect') throw err(sub, ' from', `layer ${src} (${layers[src]!.module}) cannot feed another layer`);
      return src;
    });
    const chOf = (f: number) => ch.at(f)!; // Python ch[f]: ch is [input] at layer 0, then per-layer outputs

    let args: unknown[] = rawArgs.map((a, k) => {
      if (typeof a !== 'string') return a;
      if (a === 'nc' && nc === null) throw err([3, k], ` args[${k}]`, "'nc' is used but the yaml sets no nc (add nc: or pass --nc)");
      return evalStringArg(a, locals);
    });
    const issue = moduleArgsIssue(def, args);
    if (issue?.index != null) throw err([3, issue.index], ` args[${issue.index}] (${def.argNames[issue.index] ?? '?'})`, `${module}: ${issue.message}`);
    if (issue) throw err([3], ' args', `${module}: ${issue.message}`);

    const yamlArgs = args;
    let n = n0 > 1 ? Math.max(pythonRound(n0 * depth), 1) : n0;
    const shown = n;
    switch (def.role) {
      case 'channels': {
        const c1 = chOf(froms[0]!);
        const c2Arg = def.c2Arg ?? 'required';
        if (c2Arg === 'none' || (c2Arg === 'optional' && (args[0] === undefined || args[0] === null))) {
          c2 = c1;
        } else {
          c2 = args[0] as number;
          if (c2 !== nc) c2 = makeDivisible(Math.min(c2, maxChannels) * width, 8);
        }
        args = c2Arg === 'none' ? [c1, ...args] : [c1, c2, ...args.slice(1)];
        if (def.repeats) {
          args.splice(2, 0, n);
          n = 1;
        }
        break;
      }
      case 'concat':
        c2 = froms.reduce((a, f) => a + chOf(f), 0);
        break;
      case 'detect':
        args = [...args, froms.map(chOf)];
        break;
      case 'same':
        c2 = chOf(froms[0]!);
        break;
    }
    if (def.scaleArgs) args = def.scaleArgs(args, scale);
    if (def.clearsLegacy) legacy = false;
    const problem = def.validate?.(args);
    if (problem) throw err([3], ' args', `${module}: ${problem}`);
    const inStrides = inputs.map((j) => (j < 0 ? 1 : layers[j]!.stride));
    if (def.role === 'concat' && inStrides.some((s) => s !== inStrides[0])) {
      throw err([0], ' from', `${module} inputs have different strides (${inStrides.join(', ')}): their sizes differ`);
    }
    const stride = inStrides[0]! * (def.stride?.(yamlArgs) ?? 1) ** n;
    layers.push({ index: i, from, inputs, n: shown, instances: n, module, def, args, c2, stride, yamlPath: at, field });
    if (i === 0) ch = [];
    ch.push(c2);
  });
  return { file: src.file, scale, depth, width, maxChannels, nc, ch: chIn, layers, warnings, legacy };
}
