/** One line for users; the stack only with --verbose. */
export function formatError(err: unknown, verbose: boolean): string {
  if (verbose && err instanceof Error && err.stack) return `acmix-lab: ${err.stack}`;
  const message = err instanceof Error ? err.message : String(err);
  return `acmix-lab: error: ${message.split('\n')[0]}`;
}
