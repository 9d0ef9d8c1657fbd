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
 * Workers when --workers is not given: on this 2-core machine two workers with one thread each train more
 * images/s than one with both (`npm run bench:sweep`, docs/benchmarks.md: 1.60–2.13× at 128 px, 2.22× at
 * 64 px on the idle machine; 1.08–2.05× under load): a step's JavaScript (the assigner, the optimizer's
 * bookkeeping) runs beside the other worker's TensorFlow ops instead of leaving a core idle. On more cores the two split them (threadsPerWorker).
 */
export const DEFAULT_WORKERS = 2;

/** Each worker's share of the machine's threads. */
export function threadsPerWorker(workers: number, cpus = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cpus / workers));
}

/** Environment for a worker process with `threads` threads; set before TensorFlow loads in it. */
export function threadEnv(threads: number): Record<string, string> {
  return { TF_NUM_INTRAOP_THREADS: String(threads), TF_NUM_INTEROP_THREADS: String(threads) };
}
