// Test support: tensors that are a hash of (name, flat index), as tools/fixtures/hashed_tensors.py makes
// them, so that PyTorch fixtures of whole stock models need not store megabytes of weights. Seed = FNV-1a
// (32-bit) of the name's UTF-8 bytes; element i: x = seed + i·0x9E3779B9 (mod 2^32) through lowbias32,
// u = x / 2^32, value lo + (hi − lo)·u in float64 rounded to float32 — bit-identical to the numpy code.

export function fnv1a(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h;
}

export function hashedValues(name: string, size: number, lo: number, hi: number): Float32Array {
  const seed = fnv1a(name);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let x = (seed + Math.imul(i, 0x9e3779b9)) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x = (x ^ (x >>> 16)) >>> 0;
    out[i] = lo + (hi - lo) * (x / 2 ** 32);
  }
  return out;
}

/** (lo, hi) of a state_dict entry, or null to keep it (hashed_tensors.py::weight_range). */
export function weightRange(key: string, shape: readonly number[]): [number, number] | null {
  if (key.endsWith('.num_batches_tracked') || key.endsWith('dfl.conv.weight')) return null;
  if (key.endsWith('.running_var') || key.endsWith('.bn.weight')) return [0.5, 1.5];
  if (key.endsWith('.running_mean')) return [-0.2, 0.2];
  if (key.endsWith('.bn.bias')) return [-0.1, 0.1];
  if (shape.length >= 2) {
    const bound = 1 / Math.sqrt(shape.slice(1).reduce((a, b) => a * b, 1));
    return [-bound, bound];
  }
  return [-0.5, 0.5];
}
