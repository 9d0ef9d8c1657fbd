#!/usr/bin/env node
// Builds the fused ACmix kernels (window_attention.cc, grouped_conv.cc, addon.cc) with node-gyp against the TensorFlow
// that tfjs-node loads (the libraries tools/native/setup-tensorflow.mjs extracted from the
// tensorflow-cpu wheel, with their headers). Until it is built the layer uses its composed
// TensorFlow.js version, so a failed build is never fatal with --if-possible.
//
//   node packages/acmix/native/build.mjs                # or: npm run build:native -w @acmix-lab/acmix
//   node packages/acmix/native/build.mjs --if-possible  # exit 0 with a one-line reason on failure
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ifPossible = process.argv.includes('--if-possible');
const log = (msg) => console.log(`[acmix native] ${msg}`);

function fail(msg) {
  if (ifPossible) {
    log(`not built (${msg}); ACmix uses its composed TensorFlow.js attention`);
    process.exit(0);
  }
  console.error(`[acmix native] ${msg}`);
  process.exit(1);
}

/** The TensorFlow directory ({include, lib}) behind tfjs-node's libtensorflow_framework.so.2. */
function tensorflowDir() {
  let tfjsNode;
  try {
    tfjsNode = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    fail('@tensorflow/tfjs-node is not installed');
  }
  const lib = path.join(tfjsNode, 'deps', 'lib', 'libtensorflow_framework.so.2');
  if (!fs.existsSync(lib)) fail(`${lib} is missing: run \`npm run setup\` first`);
  const dir = path.dirname(path.dirname(fs.realpathSync(lib)));
  const header = path.join(dir, 'include', 'tensorflow', 'core', 'framework', 'op_kernel.h');
  if (!fs.existsSync(header)) fail(`no TensorFlow C++ headers at ${path.join(dir, 'include')} (the tensorflow-cpu wheel ships them)`);
  return dir;
}

/** node-gyp: the one npm runs scripts with, else the copy bundled with npm. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  const found = candidates.find((c) => c && fs.existsSync(c));
  if (!found) fail('node-gyp not found (it ships with npm)');
  return found;
}

const tfDir = tensorflowDir();
const args = [nodeGyp(), 'rebuild', '-j', '2'];
// Offline machines cannot download Node's headers; use the installed ones when present.
const prefix = path.dirname(path.dirname(process.execPath));
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
log(`building against TensorFlow in ${tfDir}`);
const res = spawnSync(process.execPath, args, { cwd: here, stdio: ifPossible ? 'pipe' : 'inherit', env: { ...process.env, TF_DIR: tfDir } });
if (res.status !== 0) fail(`node-gyp exited with ${res.status ?? res.error?.message}${ifPossible ? `: ${String(res.stderr).trim().split('\n').slice(-3).join(' | ')}` : ''}`);
log(`built ${path.join(here, 'build', 'Release', 'acmix_ops.node')}`);
