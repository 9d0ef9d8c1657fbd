// The browser bundle: web/main.ts and what it imports (chart.js and its plugins) built by esbuild
// into dist/app.js on the first start after a change, never committed. Written atomically, so two
// dashboards starting at once each serve a whole file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeFileAtomic } from '@acmix-lab/runtime/atomic';

export const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
const BUNDLE_FILE = fileURLToPath(new URL('../dist/app.js', import.meta.url));

function newestSource(dir: string): number {
  return Math.max(0, ...fs.readdirSync(dir, { withFileTypes: true }).map((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs;
  }));
}

/** dist/app.js, built when missing or older than a file of web/. */
export async function ensureBundle(): Promise<string> {
  const built = fs.statSync(BUNDLE_FILE, { throwIfNoEntry: false });
  if (built && built.mtimeMs >= newestSource(WEB_DIR)) return BUNDLE_FILE;
  const result = await build({
    entryPoints: [path.join(WEB_DIR, 'main.ts')],
    bundle: true, minify: true, format: 'iife', target: 'es2020', platform: 'browser',
    write: false, legalComments: 'none', logLevel: 'silent',
  });
  writeFileAtomic(BUNDLE_FILE, result.outputFiles[0]!.contents);
  return BUNDLE_FILE;
}
