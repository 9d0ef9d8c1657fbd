// DataLoader: batches for one epoch at a time, built by worker threads ahead of the consumer so
// decoding and augmentation overlap the training step (tfjs-node runs a step synchronously on the
// main thread; workers keep going meanwhile). Batches arrive in order whatever order workers finish.
// workers = 0 builds batches in-process (no overlap), the same bytes as with workers.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_AUGMENT, type AugmentHyp } from './augment.js';
import { BatchBuilder, SHUFFLE_STREAM, type Batch, type BatchJob, type PipelineConfig } from './batch.js';
import type { LabeledImage } from './labels.js';
import type { WorkerReply, WorkerRequest } from './loader-worker.js';
import { hashSeed, permutation, Rng } from './random.js';

export interface DataLoaderOptions {
  /** Checked images and labels (scanSplit(...).items). */
  items: LabeledImage[];
  imgsz: number;
  batchSize: number;
  /** Training augmentation (true) or validation letterbox (false). */
  augment: boolean;
  /** Augmentation hyperparameters (Ultralytics names); missing ones take Ultralytics' defaults. */
  hyp?: Partial<AugmentHyp>;
  seed?: number;
  /** Reshuffle every epoch from (seed, epoch); default: on when augmenting. */
  shuffle?: boolean;
  /** Worker threads; default min(2, CPUs); 0 builds batches in-process. */
  workers?: number;
  /** Batches requested ahead of the consumer; default 2 per worker. */
  prefetch?: number;
  /** MiB of resized images each thread caches (Ultralytics keeps a similar buffer); default 512. */
  cacheMiB?: number;
}

export class DataLoaderError extends Error {
  override name = 'DataLoaderError';
}

/** Ultralytics' close_mosaic: mosaic (and mixup) are off for the last `closeMosaic` epochs (0-based epoch). */
export function mosaicForEpoch(epoch: number, epochs: number, closeMosaic: number): boolean {
  return epoch < epochs - closeMosaic;
}

/** How long close() lets a worker finish its batch before terminating it. */
const CLOSE_TIMEOUT_MS = 30_000;

interface Pending {
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
}

interface WorkerSlot {
  worker: Worker;
  busy: number;
}

export class DataLoader {
  readonly batchSize: number;
  readonly workers: number;
  readonly prefetch: number;
  private readonly config: PipelineConfig;
  private readonly shuffle: boolean;
  private slots: WorkerSlot[] = [];
  private local: BatchBuilder | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(options: DataLoaderOptions) {
    const { items, imgsz, batchSize, augment } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataLoaderError(`batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(imgsz) || imgsz < 32) throw new DataLoaderError(`imgsz must be an integer ≥ 32, got ${imgsz}`);
    if (items.length === 0) throw new DataLoaderError('no images to load');
    this.batchSize = batchSize;
    this.workers = options.workers ?? Math.min(2, os.availableParallelism());
    this.prefetch = Math.max(1, options.prefetch ?? 2 * this.workers);
    this.shuffle = options.shuffle ?? augment;
    this.config = {
      items, imgsz, augment, hyp: { ...DEFAULT_AUGMENT, ...options.hyp }, seed: options.seed ?? 0,
      cacheBytes: (options.cacheMiB ?? 512) * 2 ** 20,
    };
  }

  get length(): number {
    return Math.ceil(this.config.items.length / this.batchSize);
  }

  /** Threads currently alive (0 after close()). */
  get liveWorkers(): number {
    return this.slots.length;
  }

  /** The dataset order of one epoch: a seeded permutation, or 0..n-1 without shuffling. */
  order(epoch: number): Int32Array {
    const n = this.config.items.length;
    if (this.shuffle) return permutation(n, new Rng(hashSeed(this.config.seed, SHUFFLE_STREAM, epoch)));
    return Int32Array.from({ length: n }, (_, i) => i);
  }

  /**
   * Batches of `epoch` in order; the last one keeps the remainder. `mosaic: false` is Ultralytics'
   * close_mosaic state (mosaic and mixup off whatever hyp says); otherwise hyp.mosaic and hyp.mixup
   * are the probabilities, as in Ultralytics.
   */
  async *epoch(epoch: number, options: { mosaic?: boolean } = {}): AsyncGenerator<Batch> {
    if (this.closed) throw new DataLoaderError('DataLoader is closed');
    const order = this.order(epoch);
    const mosaic = options.mosaic ?? true;
    const jobs: BatchJob[] = [];
    for (let b = 0; b * this.batchSize < order.length; b++) {
      jobs.push({ epoch, index: b, indices: order.slice(b * this.batchSize, (b + 1) * this.batchSize), mosaic });
    }
    if (this.workers === 0) {
      this.local ??= new BatchBuilder(this.config);
      for (const job of jobs) yield this.local.batch(job);
      return;
    }
    this.startWorkers();
    const inFlight = new Map<number, { id: number; promise: Promise<Batch> }>();
    let next = 0;
    const fill = () => {
      while (next < jobs.length && inFlight.size < this.prefetch) {
        inFlight.set(next, this.request(jobs[next]!));
        next++;
      }
    };
    try {
      for (let b = 0; b < jobs.length; b++) {
        fill();
        const batch = await inFlight.get(b)!.promise;
        inFlight.delete(b);
        fill();
        yield batch;
      }
    } finally {
      // Stopped early: results still on their way are dropped when they arrive.
      for (const { id } of inFlight.values()) this.pending.delete(id);
    }
  }

  /** Stops the workers (each finishes the batch in hand, then exits); pending batches reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.local = null;
    const slots = this.slots;
    this.slots = [];
    this.failAll(new DataLoaderError('DataLoader closed'));
    await Promise.all(slots.map(({ worker }) => new Promise<void>((resolve) => {
      worker.ref();
      const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    })));
  }

  private startWorkers(): void {
    if (this.slots.length) return;
    if (this.failure) throw this.failure;
    for (let i = 0; i < this.workers; i++) {
      const worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), {
        workerData: { entry: new URL('./loader-worker.ts', import.meta.url).href, config: this.config },
      });
      const slot: WorkerSlot = { worker, busy: 0 };
      worker.unref();
      worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
      worker.on('error', (err) => this.fail(new DataLoaderError(`data worker ${i} failed: ${err.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new DataLoaderError(`data worker ${i} exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  private request(job: BatchJob): { id: number; promise: Promise<Batch> } {
    if (this.failure) throw this.failure;
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    const promise = new Promise<Batch>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    promise.catch(() => {}); // a failure rejects every request; only the awaited one should surface
    if (slot.busy++ === 0) slot.worker.ref(); // keep the process alive while work is outstanding
    slot.worker.postMessage({ type: 'batch', id, job } satisfies WorkerRequest);
    return { id, promise };
  }

  private onReply(slot: WorkerSlot, reply: WorkerReply): void {
    if (--slot.busy === 0) slot.worker.unref();
    const waiter = this.pending.get(reply.id);
    if (!waiter) return;
    this.pending.delete(reply.id);
    if (reply.type === 'batch') waiter.resolve(reply.batch);
    else waiter.reject(new DataLoaderError(reply.message));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
