// Scan a split like Ultralytics' YOLODataset.cache_labels: check every image/label pair, keep the
// good ones and the backgrounds, skip the corrupt ones with one message each, print one summary
// line. With `strict` any problem (missing or empty label file, duplicate rows, a skipped pair)
// is a DatasetError instead.
import { labelPathFor, listImageFiles } from './image-files.js';
import { checkImageLabel, type LabeledImage, type LabelFault } from './labels.js';

export interface ScanSummary {
  /** Images kept (labelled + backgrounds). */
  images: number;
  /** Kept images without a label file (Ultralytics "missing"). */
  missing: number;
  /** Kept images whose label file has no rows. */
  empty: number;
  /** Pairs skipped as corrupt. */
  corrupt: number;
  /** Kept images that had duplicate rows removed. */
  duplicates: number;
  /** Boxes kept. */
  boxes: number;
}

export interface DatasetSplit {
  items: LabeledImage[];
  summary: ScanSummary;
  /** One line per problem, naming file:line and the reason. */
  messages: string[];
}

export interface ScanOptions {
  /** Name printed before the summary (Ultralytics prefixes "train: " / "val: "). */
  prefix?: string;
  strict?: boolean;
  /** Where messages and the summary go (default console.log); pass () => {} to silence. */
  log?: (line: string) => void;
}

export class DatasetError extends Error {
  override name = 'DatasetError';
  constructor(message: string, readonly fault: LabelFault | 'missing-label' | 'empty-label' | 'duplicate-rows' | 'no-images') {
    super(message);
  }
}

export function summaryLine(prefix: string, s: ScanSummary): string {
  const dup = s.duplicates ? `, ${s.duplicates} with duplicate labels removed` : '';
  return `${prefix}: ${s.images} images, ${s.missing + s.empty} backgrounds, ${s.corrupt} corrupt skipped${dup}`;
}

/** Check every image of a split (folders, *.txt lists or files) against nc classes. */
export function scanSplit(sources: readonly string[], nc: number, options: ScanOptions = {}): DatasetSplit {
  const { prefix = 'data', strict = false, log = (line: string) => console.log(line) } = options;
  const files = listImageFiles(sources);
  const items: LabeledImage[] = [];
  const messages: string[] = [];
  const summary: ScanSummary = { images: 0, missing: 0, empty: 0, corrupt: 0, duplicates: 0, boxes: 0 };
  for (const imageFile of files) {
    const labelFile = labelPathFor(imageFile);
    const res = checkImageLabel(imageFile, labelFile, nc);
    if (res.status === 'corrupt') {
      const message = `${prefix}: WARNING ignoring corrupt image/label: ${res.message}`;
      if (strict) throw new DatasetError(`${prefix}: ${res.message}`, res.fault);
      summary.corrupt++;
      messages.push(message);
      continue;
    }
    if (strict && res.status === 'missing') throw new DatasetError(`${prefix}: ${labelFile}: label file missing for ${imageFile}`, 'missing-label');
    if (strict && res.status === 'empty') throw new DatasetError(`${prefix}: ${labelFile}:1: label file is empty`, 'empty-label');
    if (res.duplicates.length) {
      const where = `${labelFile}:${res.duplicates.join(',')}`;
      if (strict) throw new DatasetError(`${prefix}: ${where}: duplicate label rows`, 'duplicate-rows');
      summary.duplicates++;
      messages.push(`${prefix}: WARNING ${where}: ${res.duplicates.length} duplicate labels removed`);
    }
    if (res.status === 'missing') summary.missing++;
    if (res.status === 'empty') summary.empty++;
    summary.images++;
    summary.boxes += res.item.cls.length;
    items.push(res.item);
  }
  for (const m of messages) log(m);
  log(summaryLine(prefix, summary));
  if (items.length === 0) {
    throw new DatasetError(`${prefix}: no valid images in ${sources.join(', ')} (${summary.corrupt} corrupt skipped)`, 'no-images');
  }
  return { items, summary, messages };
}
