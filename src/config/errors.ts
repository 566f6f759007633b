/** Where a configuration value came from, so an error can point the operator at the exact line. */
export interface ConfigLocation {
  /** Path of the configuration file as it was given (not resolved, so it reads like what the operator typed). */
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
}

/**
 * A configuration problem: unreadable or missing file, bad INI syntax, unknown option or invalid value.
 * Not a ClimateError on purpose: it stops the service from starting and never reaches an API client.
 */
export class ConfigError extends Error {
  /** Section of the offending option, when the problem is about one option. */
  readonly section?: string;
  /** Name of the offending option, when the problem is about one option. */
  readonly option?: string;
  /** File and line, when the problem comes from a file. */
  readonly location?: ConfigLocation;

  constructor(
    message: string,
    details: { section?: string; option?: string; location?: ConfigLocation; cause?: unknown } = {},
  ) {
    // The location goes last so messages start with what is wrong, e.g. `[DEFAULT] port: "abc" is not an integer`.
    super(details.location ? `${message} (at ${formatLocation(details.location)})` : message, { cause: details.cause });
    this.name = 'ConfigError';
    this.section = details.section;
    this.option = details.option;
    this.location = details.location;
  }
}

/** `path:line`, the form editors and terminals turn into links. */
export function formatLocation(location: ConfigLocation): string {
  return `${location.file}:${location.line}`;
}
