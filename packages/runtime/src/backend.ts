// Chooses the TensorFlow.js backend once per process: native TensorFlow (tfjs-node, built by
// `npm run setup` against the tensorflow-cpu wheel) when it loads, else the pure-JS `cpu` backend.
// Every package imports `@tensorflow/tfjs` and calls `initBackend()` before computing.
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { registerNativeKernelFixes } from './kernels/pointwise-conv.js';
import { registerCpuKernelFixes } from './kernels/resize-nearest-neighbor-grad.js';
import { registerLeanGradients } from './kernels/lean-gradients.js';
import { withStartupLogsFiltered } from './quiet-stderr.js';

export type BackendName = 'tensorflow' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'cpu'];

export interface BackendInfo {
  backend: BackendName;
  /** TensorFlow C library version when native, else null. */
  tensorflowVersion: string | null;
  tfjsVersion: string;
  /** Why the native backend is not in use, when it is not. */
  fallbackReason: string | null;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

const require = createRequire(import.meta.url);
let nativeLoad: { ok: true; version: string } | { ok: false; reason: string } | undefined;
let current: BackendInfo | undefined;
let warned = false;

/** Loads tfjs-node once; it registers the `tensorflow` backend as a side effect. */
function loadNative(): typeof nativeLoad & object {
  if (nativeLoad) return nativeLoad;
  // TensorFlow's C++ INFO logs (oneDNN, CPU features) would drown every command's output. The
  // level does not reach the lines printed while the library loads: those are filtered to it too.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  try {
    const tfn = withStartupLogsFiltered(() => require('@tensorflow/tfjs-node') as { version: Record<string, string> });
    const version = tf.findBackend('tensorflow') as unknown as { binding?: { TF_Version?: string } } | null;
    nativeLoad = { ok: true, version: version?.binding?.TF_Version ?? tfn.version['tfjs-node'] ?? 'unknown' };
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    nativeLoad = { ok: false, reason: `@tensorflow/tfjs-node did not load (${first})` };
  }
  return nativeLoad;
}

function parseBackend(value: string, source: string): BackendName {
  if ((BACKEND_NAMES as readonly string[]).includes(value)) return value as BackendName;
  throw new BackendError(`${source}: unknown backend "${value}" (expected ${BACKEND_NAMES.join(' or ')})`);
}

/**
 * Select and initialise the backend. Order of precedence: the explicit argument (the CLI's
 * `--backend`), then $ACMIX_LAB_BACKEND, then native when it loads. Asking for `tensorflow`
 * explicitly when it cannot load is an error; the default falls back to `cpu` with one warning.
 */
export async function initBackend(requested?: string): Promise<BackendInfo> {
  const envValue = process.env.ACMIX_LAB_BACKEND;
  const want = requested !== undefined ? parseBackend(requested, '--backend')
    : envValue ? parseBackend(envValue, 'ACMIX_LAB_BACKEND') : undefined;
  if (current && (want === undefined || want === current.backend)) return current;

  const native = loadNative();
  let backend: BackendName = want ?? (native.ok ? 'tensorflow' : 'cpu');
  if (backend === 'tensorflow' && !native.ok) {
    throw new BackendError(`${native.reason}; run \`npm run setup\` to build it, or use --backend cpu`);
  }
  // tfjs' gradients of Add, Sub, Multiply, RealDiv, Square and Identity without their no-op Reshapes and Casts.
  registerLeanGradients();
  if (backend === 'cpu') registerCpuKernelFixes();
  // oneDNN's 1×1 brgemm convolution can die with SIGFPE during setup (docs/onednn-sigfpe.md).
  else registerNativeKernelFixes();
  if (!(await tf.setBackend(backend))) throw new BackendError(`backend "${backend}" failed to initialise`);
  await tf.ready();
  // tfjs-backend-cpu prints a banner on first use advising tfjs-node; the warning below says it better.
  if (backend === 'cpu') (tf.findBackend('cpu') as unknown as { firstUse: boolean }).firstUse = false;
  const fallbackReason = backend === 'cpu' ? (native.ok ? 'cpu backend requested' : native.reason) : null;
  if (backend === 'cpu' && !native.ok && want === undefined && !warned) {
    warned = true;
    process.stderr.write(`acmix-lab: running on the slow pure-JS cpu backend (~350x slower): ${native.reason}. ` +
      'Run `npm run setup` to build the native TensorFlow backend.\n');
  }
  current = {
    backend,
    tensorflowVersion: backend === 'tensorflow' && native.ok ? native.version : null,
    tfjsVersion: tf.version.tfjs,
    fallbackReason,
  };
  return current;
}

/** True when the native TensorFlow backend can be loaded in this process. */
export function nativeBackendAvailable(): boolean {
  return loadNative().ok;
}
