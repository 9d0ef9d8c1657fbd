// The acmix-lab command line: parses flags, calls packages, turns errors into one line.
import { Command, CommanderError } from 'commander';
import { describeSignalDeath, reportNativeCrashes } from '@acmix-lab/runtime';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerDataCommand } from './commands/data.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEnvCommand } from './commands/env.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerForwardCommand } from './commands/forward.js';
import { registerModelCommand } from './commands/model.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerTrainCommand } from './commands/train.js';
import { registerValCommand } from './commands/val.js';
import { registerVariantsCommand } from './commands/variants.js';
import { registerReproduceCommand } from './commands/reproduce.js';
import { registerRunsCommand } from './commands/runs.js';
import { registerSweepCommand } from './commands/sweep.js';
import { registerWorkerCommand } from './commands/worker.js';
import { CommandExit, formatError } from './errors.js';

export function buildProgram(): Command {
  const program = new Command('acmix-lab')
    .description('Sweep ACmix placements in YOLOv8 on TensorFlow.js, compare runs, reproduce ablations')
    .option('--backend <name>', 'tensorflow (native, default when built) or cpu; also $ACMIX_LAB_BACKEND')
    .option('--verbose', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    // A crash in native code (TensorFlow) ends with one line naming the signal, not the shell's bare message.
    .hook('preAction', (_program, action) => {
      const what = `acmix-lab ${commandPath(action)}`;
      reportNativeCrashes((signal) => formatError(new Error(describeSignalDeath(signal, what)), false));
    });
  registerEnvCommand(program);
  registerDataCommand(program);
  registerModelCommand(program);
  registerVariantsCommand(program);
  registerForwardCommand(program);
  registerEvalCommand(program);
  registerPredictCommand(program);
  registerTrainCommand(program);
  registerValCommand(program);
  registerSweepCommand(program);
  registerWorkerCommand(program);
  registerRunsCommand(program);
  registerReproduceCommand(program);
  registerDemoCommand(program);
  registerDashboardCommand(program);
  return program;
}

/** `data check` for the check subcommand of data. */
function commandPath(cmd: Command): string {
  return cmd.parent?.parent ? `${commandPath(cmd.parent)} ${cmd.name()}` : cmd.name();
}

/** Runs the CLI and returns the process exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its one-line message (or help / version output).
      return err.exitCode === 0 ? 0 : 2;
    }
    const verbose = program.opts<{ verbose?: boolean }>().verbose ?? argv.includes('--verbose');
    process.stderr.write(`${formatError(err, verbose)}\n`);
    return err instanceof CommandExit ? err.code : 1;
  }
}
