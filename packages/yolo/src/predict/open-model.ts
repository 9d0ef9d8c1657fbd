// Which model and weights a `predict` (or `val`) invocation means: a yaml plus weights, or a saved
// TF.js model directory (which carries its own yaml), optionally with a state_dict on top.
import fs from 'node:fs';
import { SavedModelError } from '../errors.js';
import { buildModel, type YoloModel } from '../model.js';
import { loadModel, loadStateDict } from '../weights.js';

export interface OpenModelOptions {
  /** A model yaml, or a directory written by saveModel. */
  model: string;
  /** A safetensors state_dict (Ultralytics keys) or a saveModel directory; required with a yaml. */
  weights?: string;
  scale?: string;
}

const isDir = (p: string) => fs.existsSync(p) && fs.statSync(p).isDirectory();

export async function openModel(o: OpenModelOptions): Promise<YoloModel> {
  if (o.weights && isDir(o.weights)) return loadModel(o.weights);
  if (isDir(o.model)) {
    const m = await loadModel(o.model);
    if (o.weights) loadStateDict(m, o.weights);
    return m;
  }
  if (!o.weights) throw new SavedModelError(`--weights: required with a yaml model (${o.model}); a saved model directory carries its own`);
  const m = buildModel(o.model, { scale: o.scale });
  try {
    loadStateDict(m, o.weights);
  } catch (err) {
    m.dispose();
    throw err;
  }
  return m;
}
