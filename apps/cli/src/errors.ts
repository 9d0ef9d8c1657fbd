/** A command that ends with a non-zero exit code and one line saying why (failed runs, an interrupted sweep). */
export class CommandExit extends Error {
  override name = 'CommandExit';
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** One line for users; the stack only with --verbose. */
export function formatError(err: unknown, verbose: boolean): string {
  if (verbose && err instanceof Error && err.stack) return `acmix-lab: ${err.stack}`;
  const message = err instanceof Error ? err.message : String(err);
  return `acmix-lab: error: ${message.split('\n')[0]}`;
}
