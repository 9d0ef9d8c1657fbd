// Reproducible weight initialisation. tfjs' random initializers (randomUniform & co.) draw their
// seed from Math.random() when none is given, and every layer (TorchConv2d, ACmix, …) uses them
// that way. Building a model is synchronous, so replacing Math.random for the duration of the build
// makes every initial weight a function of `seed` without threading a seed through each module.

/** mulberry32: small, fast, well-distributed 32-bit PRNG. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function withSeededRandom<T>(seed: number | undefined, build: () => T): T {
  if (seed === undefined) return build();
  const original = Math.random;
  Math.random = mulberry32(seed);
  try {
    return build();
  } finally {
    Math.random = original;
  }
}
