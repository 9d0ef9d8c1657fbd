// Which images a split holds and where their labels are, as Ultralytics' BaseDataset.get_img_files
// and img2label_paths (ultralytics/data/base.py, data/utils.py) decide it.
import fs from 'node:fs';
import path from 'node:path';

/** Ultralytics' IMG_FORMATS (v8.1/8.2). Formats Skia cannot decode (dng, tif, pfm) surface as corrupt images. */
export const IMG_FORMATS = new Set(['bmp', 'dng', 'jpeg', 'jpg', 'mpo', 'png', 'tif', 'tiff', 'webp', 'pfm']);

export class DatasetPathError extends Error {
  override name = 'DatasetPathError';
}

function isImage(file: string): boolean {
  const dot = file.lastIndexOf('.');
  return dot >= 0 && IMG_FORMATS.has(file.slice(dot + 1).toLowerCase());
}

function walk(dir: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (isImage(entry.name)) out.push(full);
  }
}

/**
 * Images of one split: every image under a folder (recursively), or the lines of a *.txt list, whose
 * relative entries ("./images/a.jpg" or "images/a.jpg") are taken relative to the list's folder.
 * Sorted like Python's sorted(), so indices are stable across machines.
 */
export function listImageFiles(sources: readonly string[]): string[] {
  const files: string[] = [];
  for (const source of sources) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(source);
    } catch {
      throw new DatasetPathError(`${source} does not exist`);
    }
    if (stat.isDirectory()) {
      walk(source, files);
    } else {
      const dir = path.dirname(source);
      const lines = fs.readFileSync(source, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      for (const line of lines) if (isImage(line)) files.push(path.resolve(dir, line));
    }
  }
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0) {
    throw new DatasetPathError(`no images found in ${sources.join(', ')} (formats: ${[...IMG_FORMATS].join(', ')})`);
  }
  return files;
}

/** img2label_paths: the last "/images/" becomes "/labels/" and the extension becomes ".txt". */
export function labelPathFor(imageFile: string): string {
  const sa = `${path.sep}images${path.sep}`;
  const sb = `${path.sep}labels${path.sep}`;
  const at = imageFile.lastIndexOf(sa);
  const swapped = at < 0 ? imageFile : imageFile.slice(0, at) + sb + imageFile.slice(at + sa.length);
  const dot = swapped.lastIndexOf('.');
  return (dot < 0 ? swapped : swapped.slice(0, dot)) + '.txt';
}
