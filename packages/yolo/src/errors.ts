// Typed errors of the model zoo. Messages name what the user must fix: the yaml file, line,
// column and field for spec errors; the state_dict keys for weight errors.
import { ConfigError } from '@acmix-lab/runtime';

/**
 * A model yaml that cannot be built: YAML syntax, schema, unknown module, `from` out of range,
 * wrong argument types. Message: `file:line:column: field: problem`.
 */
export class ModelYamlError extends ConfigError {
  override name = 'ModelYamlError';
}

/** A PyTorch state_dict that does not fit the model: every offending key is listed by name. */
export class StateDictError extends Error {
  override name = 'StateDictError';

  constructor(
    readonly file: string,
    readonly unknownKeys: string[],
    readonly missingKeys: string[],
    readonly shapeMismatches: { key: string; expected: number[]; got: number[] }[],
  ) {
    const list = (keys: string[]) => keys.slice(0, 8).join(', ') + (keys.length > 8 ? `, … (${keys.length} in all)` : '');
    const parts: string[] = [];
    if (unknownKeys.length) parts.push(`unknown keys: ${list(unknownKeys)}`);
    if (missingKeys.length) parts.push(`missing keys: ${list(missingKeys)}`);
    if (shapeMismatches.length) {
      parts.push(`shape mismatches: ${list(shapeMismatches.map((m) => `${m.key} [${m.got}] (model has [${m.expected}])`))}`);
    }
    super(`${file}: state_dict does not fit the model; ${parts.join('; ')}`);
  }
}

/** A saved model directory that cannot be read back. */
export class SavedModelError extends Error {
  override name = 'SavedModelError';
}
