/**
 * Pure helpers shared by the entrypoints: flag checks, configuration loading
 * from text handed in, and exit codes. The entrypoints do the printing.
 *
 * @module
 */

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
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
  /** Another run holds the lease of a course (see `lease.ts`); nothing was done for it. */
  busy: 4,
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

/**
 * The process around a task: how it reads the environment and prints. The
 * entrypoint builds it from `Deno` and `console`, so this module stays free of
 * both and tests can hand in their own.
 */
export interface TaskIo {
  /** Reads one environment variable; the task's permissions list which. */
  env(name: string): string | undefined;
  /** Prints a line to standard output. */
  out(line: string): void;
  /** Prints a line to standard error. */
  err(line: string): void;
  /** Redraws a status line on standard error; absent when it is not a terminal. */
  status?: (line: string) => void;
}

/**
 * Checks the `--wait SECONDS` flag of the tasks that take a lease.
 *
 * @param value The flag's value.
 * @returns The wait in ms; 0 when the flag is absent.
 * @throws {RangeError} When it is not a number of seconds from 0 to 86400.
 */
export function waitFlag(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 86_400) {
    throw new RangeError(`--wait "${value}" must be a number of seconds from 0 to 86400`);
  }
  return Math.round(n * 1000);
}

/**
 * The I/O of a real process, from the `Deno` namespace and the `console` that
 * the entrypoint hands in: this module touches neither global itself.
 *
 * @param deno The `Deno` namespace.
 * @param cons The console.
 * @returns The process I/O.
 * @example
 * ```ts ignore
 * runTask(SPEC, Deno.args, processIo(Deno, console));
 * ```
 */
export function processIo(deno: typeof Deno, cons: Console): TaskIo {
  const encoder = new TextEncoder();
  const tty = deno.stderr.isTerminal();
  return {
    env: (name) => deno.env.get(name),
    // Looked up at each call, so tests that swap console.log see the output.
    out: (line) => cons.log(line),
    err: (line) => cons.error(line),
    ...(tty ? { status: (line: string) => deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line}`)) } : {}),
  };
}

/** The flags every lake task takes. */
export const COMMON_FLAGS = {
  lake: { type: "string" },
  config: { type: "string" },
  "log-format": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsOptionsConfig;

/** What {@linkcode runTask} hands a task's `setup`. */
export interface TaskContext<V> {
  /** The parsed flags. */
  values: V;
  /** The positional arguments. */
  positionals: string[];
  /** `--log-format json`. */
  json: boolean;
  /** The environment variables the task declared, by name. */
  env: Readonly<Record<string, string | undefined>>;
  /** The process I/O. */
  io: TaskIo;
  /** Loads `--config` (once) with `--lake` and the environment applied. */
  config(): Promise<Config>;
  /** Opens the configured lake (once). */
  lake(): Promise<Lake>;
}

/** A task's work once its flags are checked: `run` gives the exit code. */
export interface PreparedTask {
  /** Does the work and reports it. */
  run(): Promise<number>;
  /** Releases what setup took (models, files); called whatever `run` did. */
  close?: () => Promise<void>;
  /** Extra context for a failure message: the lake URL for JSON events. */
  lakeUrl?: string;
}

/** The description of an entrypoint, for {@linkcode runTask}. */
export interface TaskSpec<O extends ParseArgsOptionsConfig> {
  /** The task's name as typed after `deno task`. */
  name: string;
  /** The help text. */
  usage: string;
  /** The task's own flags; {@linkcode COMMON_FLAGS} are added. */
  options: O;
  /**
   * Whether positional arguments are allowed.
   * @default {false}
   */
  positionals?: boolean;
  /**
   * Environment variables the task reads besides {@linkcode LAKE_ENV}.
   * @default {[]}
   */
  env?: readonly string[];
  /**
   * A hint printed when a write is refused by Deno's permissions.
   * @default {undefined}
   */
  permissionHint?: string;
  /**
   * What a failed run leaves behind, appended to its message.
   * @default {"Run again to finish."}
   */
  afterFailure?: string;
  /**
   * Checks the flags and prepares the work. Anything it throws is a usage
   * error (exit 2): a wrong flag, a missing file, a bad configuration.
   */
  setup(ctx: TaskContext<ParsedFlags<O>>): Promise<PreparedTask | number>;
}

/** The parsed flags of a task: its own and the common ones. */
export type ParsedFlags<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O & typeof COMMON_FLAGS; args: string[]; allowPositionals: true; strict: true }>
>["values"];

/**
 * A usage problem found only once the work has started (an unknown channel in
 * an export, say): {@linkcode runTask} reports it as it does a wrong flag,
 * with exit code 2 and no "the run stopped".
 */
export class UsageError extends Error {
  /** @param message What is wrong and what to do, in sentence case. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const SHAPE_ERRORS = /^(TypeError|RangeError|SyntaxError|ConfigError)$/;

/**
 * Runs an entrypoint: parses the flags, prints help, loads the configuration
 * and the lake on demand, and turns errors into messages and exit codes.
 *
 * - a flag, configuration or setup error prints `name: message` and exits 2;
 * - an error during the work prints `name: the run stopped: …` and exits 3;
 * - `--log-format json` adds an `{"event":"error"}` line on standard output.
 *
 * @param spec The task.
 * @param args The command-line arguments.
 * @param io The process I/O, from {@linkcode processIo}.
 * @returns The exit code.
 * @example
 * ```ts ignore
 * export function main(args: string[]): Promise<number> {
 *   return runTask(SPEC, args, processIo(Deno));
 * }
 * ```
 */
export async function runTask<O extends ParseArgsOptionsConfig>(
  spec: TaskSpec<O>,
  args: string[],
  io: TaskIo,
): Promise<number> {
  let prepared: PreparedTask | number;
  let json = false;
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...spec.options, ...COMMON_FLAGS },
      strict: true,
      allowPositionals: spec.positionals ?? false,
    }) as { values: ParsedFlags<O>; positionals: string[] };
    const common = values as unknown as { help?: boolean; config?: string; lake?: string; "log-format"?: string };
    if (common.help) {
      io.out(spec.usage);
      return EXIT.ok;
    }
    json = logFormatFlag(common["log-format"]) === "json";
    const env = Object.freeze(Object.fromEntries([...LAKE_ENV, ...(spec.env ?? [])].map((n) => [n, io.env(n)])));
    let config: Promise<Config> | undefined;
    let lake: Promise<Lake> | undefined;
    const ctx: TaskContext<ParsedFlags<O>> = {
      values,
      positionals,
      json,
      env,
      io,
      config: () =>
        config ??= loadConfig({
          configFile: common.config,
          lake: common.lake,
          env,
          readTextFile: (p) => Deno.readTextFile(p),
        }),
      lake: () => lake ??= ctx.config().then(lakeOf),
    };
    prepared = await spec.setup(ctx);
  } catch (e) {
    const err = e as Error & { code?: string };
    const hint = err?.code?.startsWith("ERR_PARSE_ARGS") ? `: run "deno task ${spec.name} --help" for the flags` : "";
    io.err(`${spec.name}: ${err?.message ?? String(e)}${hint}`);
    if (!(err instanceof Error && SHAPE_ERRORS.test(err.name))) io.err(spec.usage);
    return EXIT.usage;
  }
  if (typeof prepared === "number") return prepared;
  try {
    return await prepared.run();
  } catch (e) {
    io.status?.("");
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof UsageError) {
      io.err(`${spec.name}: ${message}`);
      return EXIT.usage;
    }
    if (e instanceof Error && e.name === "LeaseHeldError") {
      // Not a failure: another run is doing the work. The message says who, and what to do.
      if (json) io.out(JSON.stringify({ event: "busy", lake: prepared.lakeUrl, message }));
      io.err(`${spec.name}: ${message}`);
      return EXIT.busy;
    }
    if (json) io.out(JSON.stringify({ event: "error", lake: prepared.lakeUrl, message }));
    io.err(`${spec.name}: the run stopped: ${message}. ${spec.afterFailure ?? "Run again to finish."}`);
    if (spec.permissionHint && e instanceof Error && e.name === "NotCapable" && /write access/.test(message)) {
      io.err(spec.permissionHint);
    }
    return EXIT.failure;
  } finally {
    await prepared.close?.();
  }
}
