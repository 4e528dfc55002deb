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

/** Who holds a lease. */
export interface LeaseHolderInfo {
  /** The host name. */
  host: string;
  /** The process id. */
  pid: number;
  /** When the run started, ISO 8601. */
  started_at: string;
}

/**
 * Another run holds the lease of a task on a course: this run did nothing for it.
 */
export class LeaseHeldError extends Error {
  /** The task, such as `ingest` or `label`. */
  readonly task: string;
  /** The course. */
  readonly courseId: string;
  /** Who holds it. */
  readonly holder: LeaseHolderInfo;
  /** When the lease runs out unless its holder renews it, ISO 8601. */
  readonly expiresAt: string;

  /**
   * @param task The task.
   * @param courseId The course.
   * @param holder Who holds it.
   * @param expiresAt When it runs out.
   */
  constructor(task: string, courseId: string, holder: LeaseHolderInfo, expiresAt: string) {
    super(
      `Course "${courseId}" is busy: another ${task} run holds its lease (host ${holder.host}, pid ${holder.pid}, started ${holder.started_at}). Wait for it to finish, or pass --wait SECONDS; if that run is dead, its lease expires at ${expiresAt}`,
    );
    this.name = "LeaseHeldError";
    this.task = task;
    this.courseId = courseId;
    this.holder = holder;
    this.expiresAt = expiresAt;
  }
}

/** A run lost its lease (it expired and another run took it): it stopped before writing more. */
export class LeaseLostError extends Error {
  /** The task. */
  readonly task: string;
  /** The course. */
  readonly courseId: string;

  /**
   * @param task The task.
   * @param courseId The course.
   */
  constructor(task: string, courseId: string) {
    super(
      `The ${task} lease of course "${courseId}" expired and another run took it; this run stopped. What it wrote is valid: run again once the other run is done`,
    );
    this.name = "LeaseLostError";
    this.task = task;
    this.courseId = courseId;
  }
}
