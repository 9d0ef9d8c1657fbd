// A batch as the trainer consumes it, and how one is built from a job (epoch, batch number, dataset
// indices). Building is a pure function of the pipeline config and the job, so it runs the same in a
// worker thread or in-process, and the same seed gives the same bytes.
import type { AugmentHyp } from './augment.js';
import type { LabeledImage } from './labels.js';
import { hashSeed, Rng } from './random.js';
import { ImageSource, trainSample, valSample, type FormattedSample } from './sample.js';

/** Labels of a batch, Ultralytics' batch_idx / cls / bboxes (the loss consumes exactly this). */
export interface BatchTargets {
  /** (n) image of each box within the batch. */
  batchIndex: Int32Array;
  /** (n) class of each box. */
  cls: Int32Array;
  /** (n·4) boxes as normalised cx, cy, w, h. */
  boxes: Float32Array;
}

export interface Batch {
  epoch: number;
  /** Batch number within the epoch. */
  index: number;
  /** Images in this batch (the last batch of an epoch may be smaller). */
  size: number;
  imgsz: number;
  /** Dataset index of each image. */
  indices: Int32Array;
  /** size·imgsz·imgsz·3 floats in [0, 1], NHWC, RGB. */
  images: Float32Array;
  targets: BatchTargets;
  /** size·2 original [height, width] per image. */
  oriShapes: Int32Array;
  /** size·4 [ratio h, ratio w, pad left, pad top] per image (validation: undo with scale_boxes). */
  ratioPad: Float32Array;
}

export interface PipelineConfig {
  items: LabeledImage[];
  imgsz: number;
  /** true: training augmentation; false: validation letterbox. */
  augment: boolean;
  hyp: AugmentHyp;
  seed: number;
  /** Bytes of resized images each thread keeps (0: decode every time). */
  cacheBytes: number;
}

export interface BatchJob {
  epoch: number;
  index: number;
  indices: Int32Array;
  /** Mosaic (and mixup) on; false after close_mosaic. */
  mosaic: boolean;
}

/** Stream tags keep the per-sample and the shuffle generators apart. */
export const SAMPLE_STREAM = 1;
export const SHUFFLE_STREAM = 2;

/** Builds batches for one thread; its image cache lives as long as it does. */
export class BatchBuilder {
  private readonly source: ImageSource;

  constructor(readonly cfg: PipelineConfig) {
    this.source = new ImageSource(cfg.items, cfg.imgsz, cfg.cacheBytes);
  }

  sample(epoch: number, index: number, mosaic: boolean): FormattedSample {
    if (!this.cfg.augment) return valSample(this.source, index);
    const rng = new Rng(hashSeed(this.cfg.seed, SAMPLE_STREAM, epoch, index));
    return trainSample(this.source, index, this.cfg.hyp, mosaic, rng);
  }

  batch(job: BatchJob): Batch {
    return collate(this, job);
  }
}

/** Stack samples into one Batch (Ultralytics collate_fn plus the trainer's /255). */
function collate(builder: BatchBuilder, job: BatchJob): Batch {
  const cfg = builder.cfg;
  const s = cfg.imgsz;
  const size = job.indices.length;
  const images = new Float32Array(size * s * s * 3);
  const oriShapes = new Int32Array(size * 2);
  const ratioPad = new Float32Array(size * 4);
  const samples: FormattedSample[] = [];
  for (let b = 0; b < size; b++) {
    const sample = builder.sample(job.epoch, job.indices[b]!, job.mosaic);
    const { data, width, height } = sample.image;
    if (width !== s || height !== s) throw new Error(`sample ${job.indices[b]} came out ${width}×${height}, expected ${s}×${s}`);
    const base = b * s * s * 3;
    for (let i = 0; i < data.length; i++) images[base + i] = data[i]! / 255;
    oriShapes.set(sample.ori, b * 2);
    ratioPad.set(sample.ratioPad, b * 4);
    samples.push(sample);
  }
  const n = samples.reduce((acc, x) => acc + x.cls.length, 0);
  const targets: BatchTargets = { batchIndex: new Int32Array(n), cls: new Int32Array(n), boxes: new Float32Array(n * 4) };
  let k = 0;
  samples.forEach((sample, b) => {
    for (let i = 0; i < sample.cls.length; i++, k++) {
      targets.batchIndex[k] = b;
      targets.cls[k] = sample.cls[i]!;
      targets.boxes.set(sample.boxes.slice(4 * i, 4 * i + 4), 4 * k);
    }
  });
  return { epoch: job.epoch, index: job.index, size, imgsz: s, indices: job.indices, images, targets, oriShapes, ratioPad };
}

/** The buffers to transfer (not copy) when posting a batch between threads. */
export function batchTransferList(batch: Batch): ArrayBuffer[] {
  return [batch.images, batch.indices, batch.targets.batchIndex, batch.targets.cls, batch.targets.boxes, batch.oriShapes, batch.ratioPad]
    .map((a) => a.buffer as ArrayBuffer);
}
