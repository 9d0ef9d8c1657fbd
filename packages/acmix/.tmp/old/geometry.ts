// Index tables for ACmix's sliding-window attention, computed in plain JS once per input size.
//
// The official module (LeapLabTHU/ACmix ResNet/test_bottleneck.py, ACmix.forward) unfolds the
// reflection-padded k and v kernel_att² times. Here the output is cut into tiles of T×T query
// pixels; every tile gathers the halo of key pixels its windows can reach once, and one batched
// matmul scores every query of the tile against the whole halo. A constant mask keeps each
// query's own kernel_att×kernel_att window, so the result is the official window attention,
// with reflection padding done by the gather's indices (no padded copy of k, v or pe).

/** Geometry of one spatial axis (height or width). */
export interface AxisGeometry {
  size: number;
  /** Output pixels along the axis: ceil(size / stride), on both paths. */
  out: number;
  /** Window reach in pixels each side of the centre (a multiple of the dilation). */
  reach: number;
  tile: number;
  tiles: number;
  /** Key pixels per tile: the span of the tile's windows. */
  halo: number;
  /** query index (tile t, local i) → pixel, length tiles·tile. */
  queries: Int32Array;
  /** key index (tile t, local u) → pixel, length tiles·halo. */
  keys: Int32Array;
  /** valid[i·halo + u]: key u lies in query i's window. */
  valid: Uint8Array;
}

export interface WindowOptions {
  kernelAtt: number;
  stride: number;
  dilation: number;
}

/** ReflectionPad2d's index rule (the edge pixel is not repeated), clamped for tile overhang. */
function reflect(i: number, size: number): number {
  let j = Math.abs(i);
  if (j > size - 1) j = 2 * (size - 1) - j;
  return Math.min(Math.max(j, 0), size - 1);
}

/**
 * The window's reach along an axis of `size` pixels. Official: (kernel_att - 1) / 2 offsets of one
 * pixel, which ReflectionPad2d rejects once it is >= size. Here the reach is
 * min((kernel_att - 1) / 2, floor((size - 1) / dilation)) offsets of `dilation` pixels: identical
 * to the official module wherever it runs, and a smaller window on maps it cannot pad.
 */
export function windowReach(size: number, { kernelAtt, dilation }: WindowOptions): number {
  return Math.min((kernelAtt - 1) / 2, Math.floor((size - 1) / dilation)) * dilation;
}

export function axisGeometry(size: number, tile: number, opts: WindowOptions): AxisGeometry {
  const { stride, dilation } = opts;
  const out = Math.ceil(size / stride);
  const reach = windowReach(size, opts);
  const tiles = Math.ceil(out / tile);
  const halo = (tile - 1) * stride + 2 * reach + 1;
  const queries = new Int32Array(tiles * tile);
  const keys = new Int32Array(tiles * halo);
  for (let t = 0; t < tiles; t++) {
    // Queries past the last output pixel are padding: any valid pixel will do, they are dropped.
    for (let i = 0; i < tile; i++) queries[t * tile + i] = Math.min((t * tile + i) * stride, size - 1);
    for (let u = 0; u < halo; u++) keys[t * halo + u] = reflect(t * tile * stride - reach + u, size);
  }
  const valid = new Uint8Array(tile * halo);
  for (let i = 0; i < tile; i++) {
    for (let u = 0; u < halo; u++) {
      const offset = u - reach - i * stride;
      valid[i * halo + u] = Math.abs(offset) <= reach && offset % dilation === 0 ? 1 : 0;
    }
  }
  return { size, out, reach, tile, tiles, halo, queries, keys, valid };
}

/** Both axes, plus the flattened (row-major pixel) gather indices and the additive window mask. */
export interface WindowGeometry {
  rows: AxisGeometry;
  cols: AxisGeometry;
  /** Pixel index y·W + x of every (tile, query) pair, tiles row-major, queries row-major. */
  queryIndex: Int32Array;
  /** Pixel index of every (tile, halo key) pair. */
  keyIndex: Int32Array;
  /** (tile², halo²) additive logit mask: 0 inside the query's window, MASKED outside. */
  mask: Float32Array;
}

/** Large enough that exp() underflows to exactly 0, finite so no inf - inf can ever appear. */
export const MASKED = -1e9;

export function windowGeometry(height: number, width: number, tile: number, opts: WindowOptions): WindowGeometry {
  const rows = axisGeometry(height, tile, opts);
  const cols = axisGeometry(width, tile, opts);
  const nTiles = rows.tiles * cols.tiles;
  const queryIndex = new Int32Array(nTiles * tile * tile);
  const keyIndex = new Int32Array(nTiles * rows.halo * cols.halo);
  let q = 0;
  let k = 0;
  for (let ty = 0; ty < rows.tiles; ty++) {
    for (let tx = 0; tx < cols.tiles; tx++) {
      for (let i = 0; i < tile; i++) {
        for (let j = 0; j < tile; j++) queryIndex[q++] = rows.queries[ty * tile + i]! * width + cols.queries[tx * tile + j]!;
      }
      for (let u = 0; u < rows.halo; u++) {
        for (let w = 0; w < cols.halo; w++) keyIndex[k++] = rows.keys[ty * rows.halo + u]! * width + cols.keys[tx * cols.halo + w]!;
      }
    }
  }
  const mask = new Float32Array(tile * tile * rows.halo * cols.halo);
  let m = 0;
  for (let i = 0; i < tile; i++) {
    for (let j = 0; j < tile; j++) {
      for (let u = 0; u < rows.halo; u++) {
        for (let w = 0; w < cols.halo; w++) {
          mask[m++] = rows.valid[i * rows.halo + u]! && cols.valid[j * cols.halo + w]! ? 0 : MASKED;
        }
      }
    }
  }
  return { rows, cols, queryIndex, keyIndex, mask };
}

/** linspace(-1, 1, n) as torch computes it (ACmix `position()`), for the positional grid. */
export function linspace(n: number): Float32Array {
  const out = new Float32Array(n);
  if (n === 1) return out.fill(-1);
  const step = 2 / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i < n / 2 ? -1 + step * i : 1 - step * (n - 1 - i);
  return out;
}

/**
 * Query tile edge T. Small tiles gather overlapping halos many times over; large tiles score many
 * keys outside each window (T²·halo² logits per tile). The estimate counts the floats both kinds
 * of tensor move (logits pass through ~8 elementwise passes forward and backward, gathered keys
 * and values ~4); ties go to the larger tile (fewer, larger matmuls).
 */
export function chooseTile(height: number, width: number, headDim: number, opts: WindowOptions): number {
  let best = 1;
  let bestCost = Infinity;
  for (let t = 1; t <= 8; t++) {
    const r = axisGeometry(height, t, opts);
    const c = axisGeometry(width, t, opts);
    const halo = r.halo * c.halo;
    const cost = r.tiles * c.tiles * (8 * t * t * halo + 4 * halo * (2 * headDim + 2));
    if (cost <= bestCost) { best = t; bestCost = cost; }
  }
  return best;
}
