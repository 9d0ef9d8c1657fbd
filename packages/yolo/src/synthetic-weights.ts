// Weights computed instead of stored, for parity fixtures of models too large to commit (yolov8s and
// yolov8l: 45 and 175 MB). Bit for bit the same as tools/fixtures/yolo_torch.py::synthetic_state_dict:
// u = lowbias32(fnv1a32(key) + index · 0x9E3779B9) / 2^24, mapped per kind of tensor in float64 and
// rounded once to float32, so both sides hold identical state_dicts.
import type { TensorMap } from '@acmix-lab/runtime';

function fnv1a32(text: string): number {
  let h = 2166136261;
  for (const byte of Buffer.from(text)) h = Math.imul(h ^ byte, 16777619) >>> 0;
  return h;
}

/** Chris Wellons' lowbias32 integer hash. */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The synthetic tensor for a state_dict key (PyTorch layout `shape`). */
export function syntheticValue(key: string, shape: number[]): Float32Array {
  const seed = fnv1a32(key);
  const n = shape.reduce((a, b) => a * b, 1);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  const map = key.endsWith('.running_var') || key.endsWith('.bn.weight') ? (u: number) => 0.5 + u
    : key.endsWith('.running_mean') ? (u: number) => 0.4 * u - 0.2
      : key.endsWith('.bn.bias') ? (u: number) => 0.2 * u - 0.1
        : shape.length === 4 ? (u: number) => (2 * u - 1) * (1 / Math.sqrt(fanIn)) // PyTorch's default conv init range
          : (u: number) => 2 * u - 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = map((lowbias32((seed + Math.imul(i, 0x9e3779b9)) >>> 0) >>> 8) / 16777216);
  return out;
}

/** Every tensor of `stateDict` replaced by its synthetic value, except the fixed DFL projection. */
export function syntheticStateDict(stateDict: TensorMap): TensorMap {
  const out: TensorMap = new Map();
  for (const [key, t] of stateDict) {
    out.set(key, key.endsWith('.dfl.conv.weight') ? t : { dtype: 'F32', shape: t.shape, data: syntheticValue(key, t.shape) });
  }
  return out;
}
