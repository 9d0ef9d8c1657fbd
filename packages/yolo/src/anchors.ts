// Anchor points of the Detect head, as Ultralytics utils/tal.py::make_anchors builds them:
// for each level (P3, P4, P5 in Detect's input order) every grid cell, row-major (y then x),
// centre = (x + 0.5, y + 0.5) in that level's grid units, with the level's stride alongside.

export interface AnchorGrid {
  /** [A, 2] (x, y) centres in stride units, flattened. */
  points: Float32Array;
  /** [A] stride of each anchor in input pixels. */
  strides: Float32Array;
  count: number;
}

export function makeAnchors(levels: readonly (readonly [number, number])[], strides: readonly number[], offset = 0.5): AnchorGrid {
  const count = levels.reduce((a, [h, w]) => a + h * w, 0);
  const points = new Float32Array(count * 2);
  const perAnchor = new Float32Array(count);
  let a = 0;
  levels.forEach(([h, w], l) => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++, a++) {
        points[2 * a] = x + offset;
        points[2 * a + 1] = y + offset;
        perAnchor[a] = strides[l]!;
      }
    }
  });
  return { points, strides: perAnchor, count };
}
