// What `acmix-lab env` reports: enough to reproduce a benchmark or a bug report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { initBackend, type BackendName } from './backend.js';

export interface EnvironmentReport {
  backend: BackendName;
  tensorflowVersion: string | null;
  tfjsVersion: string;
  nodeVersion: string;
  cpus: number;
  cpuModel: string;
  gpuBuild: boolean;
  fallbackReason: string | null;
}

/** The GPU addon exists only after `npm run setup:gpu`. */
function gpuBuildPresent(): boolean {
  try {
    const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu/package.json');
    return fs.existsSync(path.join(path.dirname(pkg), 'lib', `napi-v${process.versions.napi}`, 'tfjs_binding.node'));
  } catch {
    return false;
  }
}

export async function describeEnvironment(backend?: string): Promise<EnvironmentReport> {
  const info = await initBackend(backend);
  return {
    backend: info.backend,
    tensorflowVersion: info.tensorflowVersion,
    tfjsVersion: info.tfjsVersion,
    nodeVersion: process.versions.node,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    gpuBuild: gpuBuildPresent(),
    fallbackReason: info.fallbackReason,
  };
}
