// One image/label pair checked like Ultralytics' verify_image_label (ultralytics/data/utils.py,
// v8.1/8.2). A fault makes the whole pair unusable ("corrupt", skipped); a missing or empty label
// file makes it a background image; duplicate rows are dropped with a warning.
//  - rows are `class cx cy w h`, values parsed as float32 like np.array(..., dtype=float32);
//  - if any row has more than 6 values the file holds polygons (`class x1 y1 x2 y2 …`) and each
//    row becomes the box around its points (segments2boxes);
//  - coordinates must lie in [0, 1] and nothing may be negative (v8.1/8.2 have no tolerance; 8.3.163
//    later allowed [-0.01, 1.01]); class ids must be < nc.
//  - deliberately stricter: a fractional class id ("1.5") is a fault (Ultralytics truncates it).
import fs from 'node:fs';
import { decodeImage, ImageDecodeError } from '@acmix-lab/yolo/image';

export type LabelFault =
  | 'corrupt-image' | 'small-image' | 'columns' | 'non-numeric' | 'out-of-bounds' | 'negative' | 'class-id' | 'class-range';

export interface LabeledImage {
  imageFile: string;
  labelFile: string;
  /** Original size in pixels. */
  width: number;
  height: number;
  /** Class per box. */
  cls: number[];
  /** Normalised cx, cy, w, h per box, flattened (4 per box). */
  boxes: number[];
}

export type PairCheck =
  | { status: 'ok' | 'missing' | 'empty'; item: LabeledImage; duplicates: number[] }
  | { status: 'corrupt'; fault: LabelFault; file: string; line: number; message: string };

interface Row {
  line: number;
  values: number[];
}

class RowFault extends Error {
  constructor(readonly fault: LabelFault, readonly line: number, reason: string) {
    super(reason);
  }
}

function parseRows(text: string): Row[] {
  const rows: Row[] = [];
  text.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const tokens = raw.trim().split(/\s+/).filter(Boolean);
    if (tokens.length === 0) return;
    const values = tokens.map((t, col) => {
      const v = Number(t);
      if (t === '' || !Number.isFinite(v)) {
        throw new RowFault('non-numeric', i + 1, `non-numeric value '${t}' in column ${col + 1}`);
      }
      return Math.fround(v);
    });
    rows.push({ line: i + 1, values });
  });
  return rows;
}

/** Polygon rows to (class, cx, cy, w, h), like segments2boxes. */
function polygonToBox(row: Row): number[] {
  const pts = row.values.slice(1);
  if (pts.length < 2 || pts.length % 2 !== 0) {
    throw new RowFault('columns', row.line, `polygon labels need a class and x y pairs, got ${row.values.length} values`);
  }
  for (const v of pts) checkCoordinate(v, row.line);
  let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
  for (let i = 0; i < pts.length; i += 2) {
    x1 = Math.min(x1, pts[i]!);
    x2 = Math.max(x2, pts[i]!);
    y1 = Math.min(y1, pts[i + 1]!);
    y2 = Math.max(y2, pts[i + 1]!);
  }
  const f = Math.fround;
  return [row.values[0]!, f((x1 + x2) / 2), f((y1 + y2) / 2), f(x2 - x1), f(y2 - y1)];
}

function checkCoordinate(v: number, line: number): void {
  if (v > 1) throw new RowFault('out-of-bounds', line, `non-normalized or out of bounds coordinate ${v} (must be ≤ 1)`);
  if (v < 0) throw new RowFault('negative', line, `negative coordinate ${v}`);
}

function checkRow(values: number[], line: number, nc: number): void {
  const cls = values[0]!;
  if (cls < 0) throw new RowFault('negative', line, `negative class label ${cls}`);
  if (!Number.isInteger(cls)) throw new RowFault('class-id', line, `class label ${cls} is not an integer`);
  if (cls >= nc) throw new RowFault('class-range', line, `class ${cls} exceeds dataset class count ${nc} (classes 0-${nc - 1})`);
  for (let k = 1; k < values.length; k++) checkCoordinate(values[k]!, line);
}

/** Parse label text; throws RowFault. Returns rows (class + box) and the lines of dropped duplicates. */
function parseLabels(text: string, nc: number): { rows: Row[]; duplicates: number[] } {
  let rows = parseRows(text);
  if (rows.some((r) => r.values.length > 6)) {
    rows = rows.map((r) => ({ line: r.line, values: polygonToBox(r) }));
  } else {
    for (const r of rows) {
      if (r.values.length !== 5) throw new RowFault('columns', r.line, `labels require 5 columns, ${r.values.length} columns detected`);
    }
  }
  for (const r of rows) checkRow(r.values, r.line, nc);
  const seen = new Set<string>();
  const kept: Row[] = [];
  const duplicates: number[] = [];
  for (const r of rows) {
    const key = r.values.join(' ');
    if (seen.has(key)) duplicates.push(r.line);
    else {
      seen.add(key);
      kept.push(r);
    }
  }
  return { rows: kept, duplicates };
}

/** Check one image and its label file (missing label file = background). */
export function checkImageLabel(imageFile: string, labelFile: string, nc: number): PairCheck {
  let width: number;
  let height: number;
  try {
    ({ width, height } = decodeImage(imageFile));
  } catch (err) {
    if (!(err instanceof ImageDecodeError)) throw err;
    return { status: 'corrupt', fault: 'corrupt-image', file: imageFile, line: 0, message: `${err.message}` };
  }
  if (width < 10 || height < 10) {
    return { status: 'corrupt', fault: 'small-image', file: imageFile, line: 0, message: `${imageFile}: image size ${width}×${height} < 10 pixels` };
  }
  const base = { imageFile, labelFile, width, height, cls: [] as number[], boxes: [] as number[] };
  let text: string;
  try {
    text = fs.readFileSync(labelFile, 'utf8');
  } catch {
    return { status: 'missing', item: base, duplicates: [] };
  }
  try {
    const { rows, duplicates } = parseLabels(text, nc);
    if (rows.length === 0) return { status: 'empty', item: base, duplicates };
    for (const r of rows) {
      base.cls.push(r.values[0]!);
      base.boxes.push(r.values[1]!, r.values[2]!, r.values[3]!, r.values[4]!);
    }
    return { status: 'ok', item: base, duplicates };
  } catch (err) {
    if (!(err instanceof RowFault)) throw err;
    return { status: 'corrupt', fault: err.fault, file: labelFile, line: err.line, message: `${labelFile}:${err.line}: ${err.message}` };
  }
}
