import type { Command } from 'commander';
import fs from 'node:fs';
import {
  CocoFormatError, evaluateCoco, parseCocoDataset, parseCocoResults, type CocoComparison,
} from '@acmix-lab/trainer';

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CocoFormatError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CocoFormatError(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

/** `acmix-lab eval`: read and validate both files, then score them by both definitions. */
export function runEval(opts: { gt: string; pred: string }): CocoComparison {
  const gt = parseCocoDataset(readJson(opts.gt), opts.gt);
  const dets = parseCocoResults(readJson(opts.pred), opts.pred, gt, opts.gt);
  return evaluateCoco(gt, dets);
}

/** The --json object: `ultralytics` and `coco` as documented, plus the conversion counts. */
export function evalJson(r: CocoComparison): object {
  return { ultralytics: r.ultralytics, coco: r.coco, counts: r.counts };
}

export function formatEvalTable(r: CocoComparison, files: { gt: string; pred: string }): string {
  const c = r.counts;
  const f = (v: number) => v.toFixed(4);
  const rows = [
    ['definition', 'mAP50', 'mAP50-95', 'P', 'R'],
    ['ultralytics', f(r.ultralytics.map50), f(r.ultralytics.map50_95), f(r.ultralytics.precision), f(r.ultralytics.recall)],
    ['coco', f(r.coco.map50), f(r.coco.map50_95), '-', '-'],
  ];
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((row) => row[j]!.length)));
  return [
    `${files.gt}: ${c.images} images, ${c.categories} categories; ${files.pred}: ${c.detections} detections` +
      (c.otherCategoryDetections ? ` (+${c.otherCategoryDetections} of unlisted categories, ignored)` : ''),
    `ultralytics labels: ${c.labels} boxes (skipped: ${c.crowdSkipped} crowd, ${c.emptySkipped} zero-size, ${c.duplicateSkipped} duplicate)`,
    ...rows.map((row) => row.map((v, j) => v.padEnd(widths[j]!)).join('  ').trimEnd()),
  ].join('\n');
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description("mAP50 and mAP50-95 of COCO results against COCO ground truth, by Ultralytics' and by pycocotools' definition")
    .requiredOption('--gt <file>', 'COCO instances json (images, annotations, categories)')
    .requiredOption('--pred <file>', 'COCO results json: [{image_id, category_id, bbox: [x, y, w, h], score}]')
    .option('--json', 'print one JSON object')
    .action((opts: { gt: string; pred: string; json?: boolean }) => {
      const r = runEval(opts);
      console.log(opts.json ? JSON.stringify(evalJson(r), null, 2) : formatEvalTable(r, opts));
    });
}
