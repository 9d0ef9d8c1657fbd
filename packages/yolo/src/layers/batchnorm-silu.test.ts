// The fused training BatchNorm2d → SiLU kernels (@acmix-lab/acmix native/batchnorm_silu.cc) against the
// TensorFlow ops they replace, FusedBatchNormV3 then the SiLU kernel (native-ops.ts, silu.ts), with their
// gradients: output, batch statistics and the gradients of x, γ and β, on odd sizes, batch 1, channel counts
// that are not multiples of 16, 1×1 maps and a map split across the thread pool; the same bits when run
// twice and with 1, 2 or 4 intra-op threads.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fusedBatchNormSiluUnavailable } from '@acmix-lab/acmix';
import { countLeakedTensors, initBackend } from '@acmix-lab/runtime';
import { bnSilu, digest, inputs } from './test-batchnorm-silu.js';

await initBackend('tensorflow');

/** Per-channel mean and unbiased variance of the seeded x in float64, two passes. */
function exactMoments(shape: number[], seed: number): { mean: Float32Array; variance: Float32Array } {
  const x = tf.tidy(() => inputs(shape, seed)[0]!.dataSync());
  const c = shape[3]!;
  const n = x.length / c;
  const mean = new Float32Array(c);
  const variance = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    let s = 0;
    for (let p = 0; p < n; p++) s += x[p * c + k]!;
    let q = 0;
    for (let p = 0; p < n; p++) q += (x[p * c + k]! - s / n) ** 2;
    mean[k] = s / n;
    variance[k] = q / Math.max(n - 1, 1);
  }
  return { mean, variance };
}

/** max |a − b| over max |b|: error relative to the scale of the reference. */
function relErr(a: Float32Array, b: Float32Array): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

const unavailable = fusedBatchNormSiluUnavailable();

describe('fused BatchNorm → SiLU kernels', () => {
  it('are built and loaded (npm ci builds them; ACMIX_LAB_FUSED=0 or ACMIX_LAB_FUSED_BN_SILU=0 are the only reasons to skip)', () => {
    if (process.env.ACMIX_LAB_FUSED === '0' || process.env.ACMIX_LAB_FUSED_BN_SILU === '0') return;
    expect(unavailable).toBeNull();
  });

  const shapes: [string, number[]][] = [
    ['batch 1, odd sizes, 3 channels', [1, 7, 5, 3]],
    ['odd sizes, 17 channels', [3, 5, 9, 17]],
    ['1×1 maps, 80 channels', [2, 1, 1, 80]],
    ['a YOLO map split across threads', [4, 41, 39, 80]],
  ];
  it.skipIf(unavailable !== null).each(shapes)('%s: output, statistics and gradients equal the TensorFlow ops', async (_, shape) => {
    const leaked = await countLeakedTensors(() => {
      const ours = bnSilu(shape, true, 11);
      const reference = bnSilu(shape, false, 11);
      // FusedBatchNormV3's sums are float32 (1e-5 off on the large map); these are within float rounding.
      const exact = exactMoments(shape, 11);
      expect(relErr(ours.mean, exact.mean)).toBeLessThan(1e-6);
      expect(relErr(ours.variance, exact.variance)).toBeLessThan(1e-6);
      expect(relErr(ours.mean, reference.mean)).toBeLessThan(1e-5);
      expect(relErr(ours.variance, reference.variance)).toBeLessThan(1e-5);
      expect(relErr(ours.y, reference.y)).toBeLessThan(1e-5);
      expect(relErr(ours.dx, reference.dx)).toBeLessThan(3e-5);
      expect(relErr(ours.dgamma, reference.dgamma)).toBeLessThan(3e-5);
      expect(relErr(ours.dbeta, reference.dbeta)).toBeLessThan(3e-5);
      for (const v of Object.values(ours)) expect(v.every(Number.isFinite)).toBe(true);
    });
    expect(leaked).toBe(0);
  });

  it.skipIf(unavailable !== null).each(shapes)('%s: σ inline (the product) and through libm (ACMIX_LAB_BN_SILU_POLY_SIGMOID=0) agree', (_, shape) => {
    const inline = bnSilu(shape, true, 13);
    process.env.ACMIX_LAB_BN_SILU_POLY_SIGMOID = '0';
    try {
      const libm = bnSilu(shape, true, 13);
      // The statistics do not involve σ; the two σ differ by a few float ulps (sigmoid.h), and the switch takes effect.
      expect(digest(inline)).not.toBe(digest(libm));
      expect(digest({ ...inline, y: libm.y, dx: libm.dx, dgamma: libm.dgamma, dbeta: libm.dbeta })).toBe(digest(libm));
      expect(relErr(inline.y, libm.y)).toBeLessThan(1e-6);
      expect(relErr(inline.dx, libm.dx)).toBeLessThan(3e-6);
      expect(relErr(inline.dgamma, libm.dgamma)).toBeLessThan(3e-6);
      expect(relErr(inline.dbeta, libm.dbeta)).toBeLessThan(3e-6);
    } finally {
      delete process.env.ACMIX_LAB_BN_SILU_POLY_SIGMOID;
    }
  });

  const shape = [2, 41, 39, 80]; // 32 reduction chunks
  it.skipIf(unavailable !== null)('gives the same bits when run twice', () => {
    expect(digest(bnSilu(shape, true, 5))).toBe(digest(bnSilu(shape, true, 5)));
  });

  // Three child processes: well over vitest's 5 s on a loaded machine.
  it.skipIf(unavailable !== null)('gives the same bits with 1, 2 or 4 intra-op threads', { timeout: 60_000 }, () => {
    const require = createRequire(import.meta.url);
    const child = `
import { initBackend } from '@acmix-lab/runtime';
import { bnSilu, digest } from ${JSON.stringify(new URL('./test-batchnorm-silu.ts', import.meta.url).href)};
await initBackend('tensorflow');
console.log(digest(bnSilu(${JSON.stringify(shape)}, true, 5)));
`;
    const digests = [1, 2, 4].map((threads) => {
      const res = spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, '--input-type=module', '-e', child], {
        cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8', maxBuffer: 1 << 28,
        env: { ...process.env, TF_NUM_INTRAOP_THREADS: String(threads), TF_CPP_MIN_LOG_LEVEL: '2' },
      });
      if (res.status !== 0) throw new Error(`child with ${threads} threads failed (${res.status}): ${res.stderr}`);
      return res.stdout.trim();
    });
    expect(digests[0]).toBe(digest(bnSilu(shape, true, 5)));
    expect(digests[1]).toBe(digests[0]);
    expect(digests[2]).toBe(digests[0]);
  });
});
