// Files of a run's folder (results.png, weights/, args.yaml, …), served only from inside that folder:
// a requested path is refused when absolute or containing `..`, and its real path (symlinks resolved)
// must still lie inside the folder's real path, so neither `%2e%2e` nor a symlink leads out.
import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactRecord, RunRecord } from '@acmix-lab/store';

/** The real path of `requested` (relative, `/`-separated) if it exists inside `runDir`, else null. */
function realPathInside(runDir: string, requested: string): { root: string; real: string } | null {
  const segments = requested.split(/[/\\]/);
  if (requested === '' || requested.includes('\0') || path.isAbsolute(requested) || segments.includes('..')) return null;
  try {
    const root = fs.realpathSync(runDir);
    const real = fs.realpathSync(path.join(root, ...segments));
    const inside = path.relative(root, real);
    return inside === '' || inside.startsWith('..') || path.isAbsolute(inside) ? null : { root, real };
  } catch {
    return null;
  }
}

/** The real path of the regular file `requested` (relative, `/`-separated) inside `runDir`, or null. */
export function resolveRunFile(runDir: string, requested: string): string | null {
  const found = realPathInside(runDir, requested);
  return found && fs.statSync(found.real).isFile() ? found.real : null;
}

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg',
  '.csv': 'text/csv; charset=utf-8', '.json': 'application/json; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8', '.yml': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.log': 'text/plain; charset=utf-8',
};

/** Images and text shown inline; anything else (html and svg included: they could run scripts) downloaded as bytes. */
export function contentTypeOf(file: string): { type: string; inline: boolean } {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()];
  return type ? { type, inline: true } : { type: 'application/octet-stream', inline: false };
}

export interface RunFile {
  /** Relative to the run folder, `/`-separated. */
  path: string;
  bytes: number;
  url: string;
}

export interface ArtifactView {
  kind: string;
  path: string;
  bytes: number | null;
  /** Where to get it: a file inside the run folder; null for a directory, a missing file or one outside. */
  url: string | null;
  /** A directory's files (weights/best: model.json, weights.bin, …). */
  files: RunFile[];
}

const MAX_LISTED = 200;

function fileUrl(runId: number, relative: string): string {
  return `/api/runs/${runId}/files/${relative.split(path.sep).map(encodeURIComponent).join('/')}`;
}

/** Regular files under `dir`, recursively; symlinks are not followed. */
function listFiles(runId: number, root: string, dir: string, out: RunFile[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (out.length >= MAX_LISTED) return;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listFiles(runId, root, full, out);
    else if (entry.isFile()) {
      const relative = path.relative(root, full);
      out.push({ path: relative.split(path.sep).join('/'), bytes: fs.statSync(full).size, url: fileUrl(runId, relative) });
    }
  }
}

/** The run's artifacts with links to the files inside its folder. */
export function artifactViews(run: Pick<RunRecord, 'id' | 'run_dir'>, artifacts: readonly ArtifactRecord[]): ArtifactView[] {
  return artifacts.map(({ kind, path: file, bytes }) => {
    const view: ArtifactView = { kind, path: file, bytes, url: null, files: [] };
    if (!run.run_dir) return view;
    const found = realPathInside(run.run_dir, path.relative(run.run_dir, path.resolve(run.run_dir, file)));
    if (!found) return view;
    const stat = fs.statSync(found.real);
    if (stat.isFile()) view.url = fileUrl(run.id, path.relative(found.root, found.real));
    else if (stat.isDirectory()) listFiles(run.id, found.root, found.real, view.files);
    return view;
  });
}
