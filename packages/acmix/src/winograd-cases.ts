// For the Winograd kernels' parity tests (forward / input gradient and filter gradient): the odd shapes both must
// get right — maps not a multiple of the tile, maps smaller than a tile (1×1, 2×3: tiles that are mostly padding),
// batch 1 and 16, channel counts that are not multiples of 16. Each test adds the shapes that split its own kernel's
// work (blocks, groups, slices, threads).

/** A 3×3 stride-1 'same' conv: its NHWC input shape and output channels. */
export interface WinogradCase { name: string; x: [number, number, number, number]; cout: number }

export const ODD_WINOGRAD_CASES: readonly WinogradCase[] = [
  { name: '7×9, batch 1, 17 → 33', x: [1, 7, 9, 17], cout: 33 },
  { name: '13×11, batch 16, 3 → 80', x: [16, 13, 11, 3], cout: 80 },
  { name: 'a 1×1 map, 64 → 3', x: [2, 1, 1, 64], cout: 3 },
  { name: 'a 2×3 map, batch 1, 33 → 17', x: [1, 2, 3, 33], cout: 17 },
  { name: '5×7, batch 16, 80 → 64', x: [16, 5, 7, 80], cout: 64 },
];
