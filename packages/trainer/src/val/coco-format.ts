// COCO ground truth (instances json) and COCO results files, validated once at the edge with zod.
// Errors name the file and the field: `pred.json: [3].bbox: expected 4 numbers`.
import { z } from 'zod';

export type ImageId = number | string;
export type Bbox = [number, number, number, number];

export interface CocoImage { id: ImageId; width?: number; height?: number; file_name?: string }
export interface CocoCategory { id: number; name: string }
export interface CocoAnnotation {
  id: number;
  image_id: ImageId;
  category_id: number;
  /** [x, y, width, height] in pixels, top-left corner. */
  bbox: Bbox;
  /** The area COCO's small/medium/large ranges test (the segment area in real COCO files). */
  area: number;
  iscrowd: 0 | 1;
}
export interface CocoDataset { images: CocoImage[]; annotations: CocoAnnotation[]; categories: CocoCategory[] }
/** One entry of a COCO results file (what Ultralytics writes as predictions.json). */
export interface CocoDetection { image_id: ImageId; category_id: number; bbox: Bbox; score: number }

/** Python's sorted() on ids that are all numbers or all strings (numbers first if mixed). */
export function sortIds<T extends ImageId>(ids: Iterable<T>): T[] {
  return [...new Set(ids)].sort((a, b) =>
    typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : typeof a === 'number' ? -1 : 1);
}

export class CocoFormatError extends Error {
  override name = 'CocoFormatError';
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const imageId = z.union([z.number().int(), z.string()], { error: 'expected an integer or a string' });
const bbox = z
  .custom<Bbox>((v) => Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number' && Number.isFinite(x)), {
    error: 'expected 4 numbers',
  })
  .refine((b) => b[2] >= 0 && b[3] >= 0, 'width and height must be ≥ 0');

const annotation = z.object({
  id: z.number().int(),
  image_id: imageId,
  category_id: z.number().int(),
  bbox,
  // pycocotools requires both; we default them: area to the box area, iscrowd to 0.
  area: finite.optional(),
  iscrowd: z.union([z.literal(0), z.literal(1), z.boolean()], { error: 'expected 0, 1 or a boolean' }).optional(),
});

const dataset = z.object({
  images: z.array(z.object({ id: imageId, width: z.number().optional(), height: z.number().optional(), file_name: z.string().optional() })),
  annotations: z.array(annotation),
  categories: z.array(z.object({ id: z.number().int(), name: z.string().default('') })),
});

const results = z.array(z.object({ image_id: imageId, category_id: z.number().int(), bbox, score: finite }));

function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function parseWith<T>(schema: z.ZodType<T>, json: unknown, file: string): T {
  const res = schema.safeParse(json);
  if (res.success) return res.data;
  const issue = res.error.issues[0]!;
  const where = fieldPath(issue.path);
  const message = issue.message.replace(/^Invalid input: /, '');
  throw new CocoFormatError(`${file}: ${where ? `${where}: ` : ''}${message}`);
}

/** Validate a COCO instances json (images, annotations, categories); `file` names it in errors. */
export function parseCocoDataset(json: unknown, file: string): CocoDataset {
  const data = parseWith(dataset, json, file);
  const seen = new Map<number, number>();
  const annotations = data.annotations.map((a, i): CocoAnnotation => {
    const first = seen.get(a.id);
    if (first !== undefined) throw new CocoFormatError(`${file}: annotations[${i}].id: ${a.id} repeats annotations[${first}].id`);
    seen.set(a.id, i);
    return { ...a, area: a.area ?? a.bbox[2] * a.bbox[3], iscrowd: a.iscrowd ? 1 : 0 };
  });
  return { images: data.images, annotations, categories: data.categories };
}

/**
 * Validate a COCO results array against its ground truth: like pycocotools' `loadRes`, every
 * `image_id` must be an image of the ground truth.
 */
export function parseCocoResults(json: unknown, file: string, gt: CocoDataset, gtFile: string): CocoDetection[] {
  const dets = parseWith(results, json, file);
  const images = new Set<ImageId>(gt.images.map((im) => im.id));
  dets.forEach((d, i) => {
    if (!images.has(d.image_id)) {
      throw new CocoFormatError(`${file}: [${i}].image_id: ${JSON.stringify(d.image_id)} is not an image of ${gtFile}`);
    }
  });
  return dets;
}
