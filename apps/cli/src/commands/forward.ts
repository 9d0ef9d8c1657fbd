// `acmix-lab forward`: run a yaml model with PyTorch weights on a PyTorch input and write the output
// (and, with --grad, the input and parameter gradients) in PyTorch layouts, for parity checks.
// File formats: packages/yolo/src/forward.ts.
import type { Command } from 'commander';
import { runForward, type ForwardOptions } from '@acmix-lab/yolo';
import { backendFor } from '../global-options.js';

export function registerForwardCommand(program: Command): void {
  program
    .command('forward')
    .description('run a model yaml on a safetensors input with PyTorch weights; write output (and gradients) as safetensors')
    .requiredOption('--model <yaml>', 'model yaml')
    .requiredOption('--weights <file>', 'PyTorch state_dict as safetensors (Ultralytics keys: model.0.conv.weight, …)')
    .requiredOption('--input <file>', 'safetensors holding `input` (NCHW float32)')
    .requiredOption('--out <file>', 'safetensors to write: `output`, and with --grad `grad_input` and `grad.<key>`')
    .option('--grad <file>', 'safetensors holding `grad_output` (same layout as `output`)')
    .option('--scale <s>', 'model scale (a key of the yaml\'s scales)')
    .option('--train', 'training mode: BatchNorm batch statistics; Detect returns its raw per-level outputs')
    .action(async (opts: ForwardOptions, cmd: Command) => {
      await backendFor(cmd);
      const r = await runForward(opts);
      console.log(`${opts.out}: output [${r.outputShape.join(', ')}]` +
        (opts.grad ? `, grad_input and ${r.written.length - 2} parameter gradients` : ''));
    });
}
