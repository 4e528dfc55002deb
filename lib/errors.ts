/**
 * Typed errors that carry the data a caller needs to react.
 *
 * Shape errors (a wrong type, a value out of range, text that does not parse)
 * use the built-in `TypeError`, `RangeError` and `SyntaxError`. The classes here
 * are for the few cases where a caller branches on the error and needs its data.
 *
 * @module
 */

/**
 * A key that does not exist in the lake.
 *
 * @example
 * ```ts
 * import { LakeNotFoundError } from "./errors.ts";
 * try {
 *   throw new LakeNotFoundError("raw/slack/x.json", "./lake");
 * } catch (e) {
 *   if (e instanceof LakeNotFoundError) console.log(e.key);
 * }
 * ```
 */
export class LakeNotFoundError extends Error {
  /** The key that was asked for, relative to the lake root. */
  readonly key: string;
  /** The lake's URL, for the message. */
  readonly lake: string;

  /**
   * @param key The missing key.
   * @param lake The lake's URL.
   */
  constructor(key: string, lake: string) {
    super(`Lake object "${key}" does not exist in ${lake}: check the key, or run the step that writes it`);
    this.name = "LakeNotFoundError";
    this.key = key;
    this.lake = lake;
  }
}

/**
 * A configuration problem in a file, with the line it is on.
 */
export class ConfigError extends Error {
  /** The configuration file's path. */
  readonly file: string;
  /** The 1-based line of the problem, or 0 when it is about the whole file. */
  readonly line: number;

  /**
   * @param file The configuration file.
   * @param line The 1-based line, or 0.
   * @param message What is wrong and what to do, in sentence case.
   */
  constructor(file: string, line: number, message: string) {
    super(`${line > 0 ? `${file}:${line}` : file}: ${message}`);
    this.name = "ConfigError";
    this.file = file;
    this.line = line;
  }
}
