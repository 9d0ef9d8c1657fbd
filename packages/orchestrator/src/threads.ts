// CPU threads for worker processes. Each worker trains through tfjs-node, whose TensorFlow sizes its thread
// pools when its first op runs, from these variables (verified with /proc/<pid>/task in threads.test.ts):
//   TF_NUM_INTRAOP_THREADS  the pool one op's work is split over (Eigen, oneDNN, the fused ACmix kernels);
//                           1 runs every op on the calling thread;
//   TF_NUM_INTEROP_THREADS  the `tf_Compute` pool (idle in eager execution, sized alike to keep to the share).
// OMP_NUM_THREADS changes nothing: the tensorflow-cpu wheel's oneDNN runs on TensorFlow's own threadpool, not
// OpenMP. The intra-op count changes float rounding (reductions are split differently), so it is recorded
// with each run: a resume or reproduction uses the same count to get the same weights.
import os from 'node:os';

/** The key under which a run records its intra-op thread count in its `versions`. */
export const THREADS_VERSION_KEY = 'tf_intra_op_threads';

/**
 * Workers when --workers is not given: on this 2-core machine one worker with both threads trains more
 * images/s than two workers with one each (`npm run bench:sweep`, docs/benchmarks.md).
 */
export const DEFAULT_WORKERS = 1;

/** Each worker's share of the machine's threads. */
export function threadsPerWorker(workers: number, cpus = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cpus / workers));
}

/** Environment for a worker process with `threads` threads; set before TensorFlow loads in it. */
export function threadEnv(threads: number): Record<string, string> {
  return { TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: String(threads) };
}
