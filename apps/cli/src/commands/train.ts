// `acmix-lab train`: every Ultralytics hyperparameter as a flag or key=value word, an args.yaml to
// start from (--cfg), a progress line per epoch, and results.csv/results.png/weights in the run dir.
// Resuming (which run, which arguments it may change) is the trainer's planResume; this file only parses.
import type { Command } from 'commander';
import { readTrainConfig, resolveTrainConfig, RunFinishedError, train, type ResumeInput, type TrainConfigInput } from '@acmix-lab/trainer';
import { addConfigFlags, coerceFlag, collectConfig, FlagError } from '../config-flags.js';
import { globalOptions } from '../global-options.js';
import { EpochProgress } from '../progress.js';

const DEFAULTS = resolveTrainConfig({ model: 'yolov8n.yaml', data: 'data.yaml' });

/**
 * `--scale` means the model scale (n/s/m/l/x), like `acmix-lab model --scale`; a number is
 * Ultralytics' augmentation `scale` gain, which keeps its name in args.yaml.
 */
function splitScale(config: Record<string, unknown>, raw: unknown): void {
  if (raw === undefined) return;
  const value = String(raw);
  if (/^[a-z]$/.test(value)) config.model_scale = value;
  else if (Number.isFinite(Number(value))) config.scale = Number(value);
  else throw new FlagError(`--scale: expected a model scale letter (n, s, m, l, x) or an augmentation gain, got "${value}"`);
}

/**
 * Ultralytics' resume is a switch or a path: `--resume`, `--resume RUN` (a bare word after the switch),
 * `resume`, `resume=True`, `resume=RUN/weights/last`. Returns it and the remaining key=value words.
 */
function splitResume(words: string[], flag: unknown): { resume: boolean | string | undefined; words: string[] } {
  let resume: boolean | string | undefined = flag as boolean | undefined;
  const rest: string[] = [];
  const bare: string[] = [];
  for (const word of words) {
    if (word === 'resume') resume = true;
    else if (word.startsWith('resume=')) {
      const value = word.slice('resume='.length);
      resume = /^(true|false|yes|no|1|0)$/i.test(value) ? coerceFlag('resume', value, 'boolean') as boolean : value;
    } else (word.includes('=') ? rest : bare).push(word);
  }
  if (bare.length > 0) {
    if (resume !== true || bare.length > 1) throw new FlagError(`"${bare[0]}": expected key=value (e.g. epochs=10), or a run folder after --resume`);
    resume = bare[0];
  }
  return { resume, words: rest };
}

export function registerTrainCommand(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a YOLOv8 model from a yaml on an Ultralytics-format dataset (data.yaml)')
    .argument('[args...]', 'Ultralytics-style key=value overrides, e.g. epochs=10 mosaic=0')
    .option('--cfg <args.yaml>', 'start from this args.yaml (e.g. a previous run\'s); flags override it')
    .option('--scale <s|gain>', 'model scale letter (n/s/m/l/x), or a number for the augmentation scale gain')
    .option('--device <device>', 'cpu (native TensorFlow on the CPU; default) — GPU needs `npm run setup:gpu`');
  addConfigFlags(cmd, DEFAULTS, ['task', 'mode', 'model_scale', 'scale', 'device', 'backend']);
  cmd.action(async (args: string[], opts: Record<string, unknown>, self: Command) => {
    const { scale, cfg, device, resume: resumeFlag, ...flags } = opts;
    const { resume, words } = splitResume(args, resumeFlag);
    const overrides = collectConfig(flags, words, DEFAULTS);
    splitScale(overrides, scale);
    if (device !== undefined && device !== 'cpu') {
      throw new FlagError(`--device ${String(device)}: only cpu is available in this build (see README: GPU)`);
    }
    const backend = globalOptions(self).backend;
    if (backend) overrides.backend = backend;
    const given = cfg ? readTrainConfig(String(cfg), overrides as Partial<TrainConfigInput>) : overrides;
    if (!resume && (!given.model || !given.data)) throw new FlagError('--model and --data are required (or --resume / --cfg)');
    const input = (resume ? { ...given, resume } : given) as TrainConfigInput | ResumeInput;
    const progress = new EpochProgress();
    const result = await train(input, {
      log: (line) => console.log(line),
      batch: (p) => progress.update(p),
      epoch: (r) => {
        progress.end();
        const row = r.row;
        console.log(`  val: P ${row['metrics/precision(B)'].toFixed(3)}  R ${row['metrics/recall(B)'].toFixed(3)}  ` +
          `mAP50 ${row['metrics/mAP50(B)'].toFixed(3)}  mAP50-95 ${row['metrics/mAP50-95(B)'].toFixed(3)}` +
          `  (${r.seconds.toFixed(1)} s${r.best ? ', best' : ''})`);
      },
    }).catch((err: unknown) => {
      if (!(err instanceof RunFinishedError)) throw err;
      console.log(err.message); // Ultralytics raises here; nothing to do is no failure
      return null;
    });
    if (!result) return;
    console.log(`${result.epochsRun} epochs completed. Best fitness ${result.bestFitness.toFixed(4)} at epoch ${result.bestEpoch}.`);
    console.log(`Results saved to ${result.saveDir}`);
  });
}
