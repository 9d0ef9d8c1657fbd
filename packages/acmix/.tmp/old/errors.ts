/** A bad ACmix configuration: the message names the layer and the numbers. */
export class ACmixConfigError extends Error {
  override name = 'ACmixConfigError';
}
