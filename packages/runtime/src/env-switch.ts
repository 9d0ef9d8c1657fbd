// Routes are switched by environment variables (ACMIX_LAB_WINOGRAD=0, …), read when an op runs: tests compare a
// route with what it replaces by running the same work under both settings.

/** `fn()` with the environment variable `name` set to `value`, restored afterwards. */
export function withEnv<T>(name: string, value: string, fn: () => T): T {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}
