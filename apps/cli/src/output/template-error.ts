/** A `--format` template that does not parse or does not fit the data. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}
