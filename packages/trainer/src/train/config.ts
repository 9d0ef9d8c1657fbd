// Training configuration with Ultralytics' names and defaults (cfg/default.yaml, v8.1/8.2), so an
// Ultralytics user's habits and args.yaml carry over. Plain data: a run is fully described by it,
// which is what lets a worker process, a sweep, or `--resume` rebuild the run from args.yaml.
import { z } from 'zod';
import { stringify } from 'yaml';
import { readYamlFile, validateYaml, writeFileAtomic } from '@acmix-lab/runtime';

const num = z.number();
const frac = z.number().min(0).max(1);

export const trainConfigSchema = z.object({
  task: z.literal('detect').default('detect'),
  mode: z.literal('train').default('train'),
  model: z.string().min(1),
  /** Model scale letter (yolov8n.yaml → n); Ultralytics encodes it in the file name. */
  model_scale: z.string().regex(/^[a-z]$/).nullable().default(null),
  data: z.string().min(1),
  epochs: z.number().int().positive().default(100),
  patience: z.number().int().nonnegative().default(100),
  batch: z.number().int().positive().default(16),
  imgsz: z.number().int().min(64).refine((v) => v % 32 === 0, 'imgsz must be a multiple of 32').default(640),
  save: z.boolean().default(true),
  save_period: z.number().int().default(-1),
  device: z.string().default('cpu'),
  workers: z.number().int().nonnegative().default(2),
  project: z.string().nullable().default(null),
  name: z.string().nullable().default(null),
  exist_ok: z.boolean().default(false),
  optimizer: z.enum(['auto', 'SGD', 'AdamW']).default('auto'),
  verbose: z.boolean().default(true),
  seed: z.number().int().nonnegative().default(0),
  deterministic: z.boolean().default(true),
  cos_lr: z.boolean().default(false),
  close_mosaic: z.number().int().nonnegative().default(10),
  resume: z.boolean().default(false),
  fraction: z.number().gt(0).max(1).default(1.0),
  val: z.boolean().default(true),
  plots: z.boolean().default(true),
  iou: frac.default(0.7),
  max_det: z.number().int().positive().default(300),
  lr0: num.positive().default(0.01),
  lrf: num.positive().default(0.01),
  momentum: frac.default(0.937),
  weight_decay: num.nonnegative().default(0.0005),
  warmup_epochs: num.nonnegative().default(3.0),
  warmup_momentum: frac.default(0.8),
  warmup_bias_lr: num.nonnegative().default(0.1),
  box: num.nonnegative().default(7.5),
  cls: num.nonnegative().default(0.5),
  dfl: num.nonnegative().default(1.5),
  nbs: z.number().int().positive().default(64),
  hsv_h: frac.default(0.015),
  hsv_s: frac.default(0.7),
  hsv_v: frac.default(0.4),
  degrees: num.default(0.0),
  translate: frac.default(0.1),
  scale: num.nonnegative().default(0.5),
  shear: num.default(0.0),
  perspective: num.default(0.0),
  flipud: frac.default(0.0),
  fliplr: frac.default(0.5),
  mosaic: frac.default(1.0),
  mixup: frac.default(0.0),
  /** Any label fault (see data/labels.ts) stops the run instead of skipping the file. Not in Ultralytics. */
  strict: z.boolean().default(false),
  /** Backend the run used (`tensorflow` or `cpu`); recorded so a reproduction uses the same one. */
  backend: z.enum(['tensorflow', 'cpu']).nullable().default(null),
}).strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;
export type TrainConfigInput = z.input<typeof trainConfigSchema>;

export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
}

/** Defaults filled in, values checked; `source` names where the values came from in errors. */
export function resolveTrainConfig(input: TrainConfigInput, source = 'train arguments'): TrainConfig {
  const result = trainConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
  throw new TrainConfigError(`${source}: ${field}: ${issue.message}`);
}

/**
 * Keys of Ultralytics' cfg/default.yaml that mean nothing here (mixed precision, export, tracking,
 * segmentation, …). They are dropped so an Ultralytics args.yaml can be fed back with --cfg;
 * any other unknown key is still an error, so a typo (`epoch: 5`) is not silently ignored.
 */
const ULTRALYTICS_IGNORED_KEYS = new Set([
  'time', 'cache', 'pretrained', 'single_cls', 'rect', 'amp', 'profile', 'freeze', 'multi_scale',
  'overlap_mask', 'mask_ratio', 'dropout', 'split', 'save_json', 'save_hybrid', 'conf', 'half', 'dnn',
  'source', 'vid_stride', 'stream_buffer', 'visualize', 'augment', 'agnostic_nms', 'classes',
  'retina_masks', 'embed', 'show', 'save_frames', 'save_txt', 'save_conf', 'save_crop', 'show_labels',
  'show_conf', 'show_boxes', 'line_width', 'format', 'keras', 'optimize', 'int8', 'dynamic', 'simplify',
  'opset', 'workspace', 'nms', 'pose', 'kobj', 'label_smoothing', 'copy_paste', 'copy_paste_mode',
  'auto_augment', 'erasing', 'crop_fraction', 'cfg', 'tracker', 'save_dir', 'bgr',
]);

/** Read an args.yaml (Ultralytics' or ours): errors name file:line:column and the field. */
export function readTrainConfig(file: string, overrides: Partial<TrainConfigInput> = {}): TrainConfig {
  const parsed = readYamlFile(file);
  // null means "default" in Ultralytics' files (device: null, project: null).
  const value = Object.fromEntries(Object.entries((parsed.value ?? {}) as Record<string, unknown>)
    .filter(([k, v]) => v !== null && !ULTRALYTICS_IGNORED_KEYS.has(k)));
  return validateYaml({ ...parsed, value: { ...value, ...overrides } }, trainConfigSchema);
}

export function writeTrainConfig(file: string, config: TrainConfig): void {
  writeFileAtomic(file, stringify(config));
}
