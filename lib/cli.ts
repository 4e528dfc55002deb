/**
 * Pure helpers shared by the entrypoints: flag checks, configuration loading
 * from text handed in, and exit codes. The entrypoints do the printing.
 *
 * @module
 */

import { buildConfig, type Config, CONFIG_ENV } from "./config.ts";
import { type Lake, openLake } from "./lake.ts";
import { parseDay } from "./layout.ts";

/** Exit codes shared by every entrypoint. */
export const EXIT = Object.freeze({
  /** Everything worked. */
  ok: 0,
  /** The run finished, but some input was quarantined or some work failed. */
  problems: 1,
  /** The command line or the configuration is wrong; nothing was done. */
  usage: 2,
  /** The run stopped on an unexpected error. */
  failure: 3,
});

/** The environment variables the entrypoints read for the lake and S3. */
export const LAKE_ENV: readonly string[] = CONFIG_ENV;

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /** The `--config` flag. @default {"courses.yml"} */
  configFile?: string;
  /** The `--lake` flag. @default {undefined} */
  lake?: string;
  /** The environment by name. @default {{}} */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads a text file. */
  readTextFile: (path: string) => Promise<string>;
}

/**
 * Reads `courses.yml` through the given reader and builds the configuration.
 *
 * @param options The flags, the environment and the file reader.
 * @returns The frozen configuration.
 * @throws {Deno.errors.NotFound} as a `TypeError` naming the file when it is missing.
 */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const file = options.configFile ?? "courses.yml";
  let text: string;
  try {
    text = await options.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new TypeError(`Config file ${file} does not exist: pass --config FILE, or run from the project folder`);
    }
    throw e;
  }
  return buildConfig({ coursesText: text, configFile: file, lake: options.lake, env: options.env });
}

/**
 * Opens the lake a configuration names.
 *
 * @param config The configuration.
 * @returns The lake.
 */
export function lakeOf(config: Config): Promise<Lake> {
  return openLake(config.lakeUrl, { s3: config.s3 });
}

/**
 * Checks an optional `YYYY-MM-DD` flag.
 *
 * @param value The flag's value.
 * @param flag The flag's name, for the message.
 * @returns The day, or `undefined`.
 * @throws {RangeError} When it is not a date.
 */
export function dayFlag(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDay(value);
  } catch {
    throw new RangeError(`--${flag} "${value}" is not a date: use YYYY-MM-DD`);
  }
}

/**
 * Checks `--log-format`.
 *
 * @param value The flag's value.
 * @returns `text` or `json`.
 * @throws {RangeError} For any other value.
 */
export function logFormatFlag(value: string | undefined): "text" | "json" {
  if (value === undefined || value === "text") return "text";
  if (value === "json") return "json";
  throw new RangeError(`--log-format "${value}" is not known: use text or json`);
}
