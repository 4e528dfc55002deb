/**
 * `courses.yml`, the environment and the flags, turned once into one frozen,
 * validated configuration that is passed down.
 *
 * This module reads no file and no environment variable itself: the entrypoint
 * hands it the text and a record of the variables.
 *
 * @module
 */

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Scalar, type YAMLMap } from "yaml";
import { ConfigError } from "./errors.ts";
import { checkCourseId, defaultRawPrefix, trimSlash } from "./layout.ts";
import type { S3LakeOptions } from "./lake.ts";

/** One course: one Slack channel. */
export interface Course {
  /** The course id, used in keys and the `course_id` column. */
  readonly id: string;
  /** The Slack channel id, stored in `channel_id` when messages lack one. */
  readonly channelId: string | null;
  /** The Slack channel name, stored in `channel`. */
  readonly channel: string | null;
  /**
   * Where the course's raw files are: a key prefix inside the lake, or a full
   * URL (`s3://…`, `file://…`) of another location.
   */
  readonly rawPrefix: string;
  /** Whether {@linkcode Course.rawPrefix} is a full URL rather than a lake key prefix. */
  readonly rawIsUrl: boolean;
  /**
   * Where the course's FAQ comes from (`faq: {source, from_course}`), so that
   * the daily job re-imports it; null when the file names none.
   */
  readonly faq: CourseFaqSource | null;
  /**
   * Slack user ids of the course staff (upper-case), whose replies FAQ drafts prefer.
   * @default {[]}
   */
  readonly staff?: readonly string[];
}

/** A course's FAQ source in `courses.yml`. */
export interface CourseFaqSource {
  /** A `_questions` folder, one course folder, or a JSON Lines file. */
  readonly source: string;
  /** The course folder inside a `_questions` folder; null means the course id. */
  readonly fromCourse: string | null;
}

/** The optional top-level `slack:` section of `courses.yml`. */
export interface SlackSettings {
  /** The workspace's domain, such as `datatalks-club` for `datatalks-club.slack.com`: enables links to messages. */
  readonly domain?: string;
}

/** The `classifier:` section of `courses.yml`. */
export interface ClassifierSettings {
  /** Fewest characters of a candidate's plain text. */
  readonly minChars?: number;
  /** Most characters, 0 for no cap. */
  readonly maxChars?: number;
  /** Subtypes that count as human messages. */
  readonly allowSubtypes?: readonly string[];
  /** Extra question patterns (regular expressions). */
  readonly extraPatterns?: readonly string[];
  /** Lower edge of the LLM band. */
  readonly low?: number;
  /** Upper edge of the LLM band. */
  readonly high?: number;
  /** LLM requests per run at most. */
  readonly llmMaxCalls?: number;
}

/** The whole configuration of a run. */
export interface Config {
  /** The lake's URL. */
  readonly lakeUrl: string;
  /** The courses file it was read from. */
  readonly configFile: string;
  /** The courses, in file order. */
  readonly courses: readonly Course[];
  /** The classifier settings; empty when the file has none. */
  readonly classifier: ClassifierSettings;
  /** The Slack workspace settings; empty when the file has none. */
  readonly slack?: SlackSettings;
  /** S3 settings from the standard AWS variables. */
  readonly s3: Readonly<S3LakeOptions>;
}

const COURSE_KEYS = ["id", "channel_id", "channel", "raw_prefix", "faq", "staff"] as const;
const TOP_KEYS = ["courses", "classifier", "slack"];
const USER_ID_RE = /^[UW][A-Z0-9]{2,}$/;
const DOMAIN_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const CHANNEL_ID_RE = /^[CGD][A-Z0-9]{6,}$/;

/**
 * Parses and validates `courses.yml`.
 *
 * @param text The file's text.
 * @param file The file's path, for messages.
 * @returns The courses, frozen.
 * @throws {ConfigError} When the YAML is malformed, a key is unknown or
 *   missing, a value has the wrong type, or an id repeats; the message names
 *   the file and line.
 * @example
 * ```ts
 * import { parseCourses } from "./config.ts";
 * parseCourses("courses:\n  - id: ml-zoomcamp\n", "courses.yml")[0]?.rawPrefix; // "raw/slack/ml-zoomcamp"
 * ```
 */
export function parseCourses(text: string, file: string): readonly Course[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (node: { range?: [number, number, number] | null } | null | undefined): number =>
    node?.range ? lines.linePos(node.range[0]).line : 0;
  const firstError = doc.errors[0];
  if (firstError) {
    const line = firstError.linePos?.[0]?.line ?? lines.linePos(firstError.pos[0]).line;
    throw new ConfigError(file, line, `YAML does not parse: ${firstError.message.split("\n")[0]}`);
  }
  const root = doc.contents;
  if (!isMap(root)) {
    throw new ConfigError(file, lineOf(root), 'Top level must be a mapping with a "courses:" list');
  }
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!TOP_KEYS.includes(key)) {
      throw new ConfigError(
        file,
        lineOf(pair.key as Scalar),
        `Unknown top-level key "${key}": allowed keys are ${TOP_KEYS.join(", ")}`,
      );
    }
  }
  const list = root.get("courses", true);
  if (!isSeq(list)) {
    throw new ConfigError(file, lineOf(list as Scalar) || 1, '"courses" must be a list of courses, each with an "id"');
  }
  const seen = new Map<string, number>();
  const courses: Course[] = [];
  for (const item of list.items) {
    const line = lineOf(item as Scalar);
    if (!isMap(item)) throw new ConfigError(file, line, 'Each course must be a mapping with at least an "id"');
    const faqNode = item.get("faq", true);
    let faq: CourseFaqSource | null = null;
    if (faqNode !== undefined) {
      item.delete("faq");
      faq = readFaqSource(faqNode, file, lineOf(faqNode as Scalar) || line);
    }
    const staff = readStaff(item, file, lineOf);
    const values = readCourseMap(item, file, lineOf);
    const id = values.get("id");
    if (id === undefined) throw new ConfigError(file, line, 'Course has no "id": add one, such as "id: ml-zoomcamp"');
    try {
      checkCourseId(id.value);
    } catch (e) {
      throw new ConfigError(file, id.line, (e as Error).message);
    }
    const dup = seen.get(id.value);
    if (dup !== undefined) {
      throw new ConfigError(
        file,
        id.line,
        `Course id "${id.value}" repeats the one on line ${dup}: ids must be unique`,
      );
    }
    seen.set(id.value, id.line);
    const channelId = values.get("channel_id");
    if (channelId && !CHANNEL_ID_RE.test(channelId.value)) {
      throw new ConfigError(
        file,
        channelId.line,
        `channel_id "${channelId.value}" is not a Slack channel id: it looks like C0288NJ5XSA`,
      );
    }
    const raw = values.get("raw_prefix");
    const rawIsUrl = raw !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(raw.value);
    if (raw && !rawIsUrl && (raw.value.split("/").includes("..") || trimSlash(raw.value) === "")) {
      throw new ConfigError(file, raw.line, `raw_prefix "${raw.value}" must be a path inside the lake or a full URL`);
    }
    courses.push(Object.freeze({
      id: id.value,
      channelId: channelId?.value ?? null,
      channel: values.get("channel")?.value ?? null,
      rawPrefix: raw === undefined ? defaultRawPrefix(id.value) : rawIsUrl ? raw.value : trimSlash(raw.value),
      rawIsUrl,
      faq,
      staff,
    }));
  }
  if (courses.length === 0) throw new ConfigError(file, lineOf(list) || 1, "No courses are listed: add at least one");
  return Object.freeze(courses);
}

const CLASSIFIER_KEYS: Record<string, "int" | "ratio" | "strings"> = {
  min_chars: "int",
  max_chars: "int",
  allow_subtypes: "strings",
  extra_patterns: "strings",
  low: "ratio",
  high: "ratio",
  llm_max_calls: "int",
};

/**
 * A top-level mapping of `courses.yml` by name, with a way to find the line of
 * any node in it; `undefined` when the file has no such section.
 */
function topSection(
  text: string,
  file: string,
  name: string,
  notAMapping: string,
): { section: YAMLMap; lineOf: (node: unknown) => number } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const lineOf = (node: unknown) => {
    const r = (node as { range?: [number, number, number] } | null)?.range;
    return r ? lines.linePos(r[0]).line : 0;
  };
  const root = doc.contents;
  if (!isMap(root)) return undefined;
  const section = root.get(name, true);
  if (section === undefined || section === null) return undefined;
  if (!isMap(section)) throw new ConfigError(file, lineOf(section), notAMapping);
  return { section, lineOf };
}

/**
 * Parses the optional `classifier:` section of `courses.yml`.
 *
 * @param text The file's text.
 * @param file The file's path, for messages.
 * @returns The settings, frozen; empty when there is no section.
 * @throws {ConfigError} For an unknown key or a wrong value, with its line.
 */
export function parseClassifierSettings(text: string, file: string): ClassifierSettings {
  const found = topSection(text, file, "classifier", '"classifier" must be a mapping');
  if (!found) return Object.freeze({});
  const { section, lineOf } = found;
  const out: Record<string, unknown> = {};
  for (const pair of section.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const line = lineOf(pair.key);
    const kind = CLASSIFIER_KEYS[key];
    if (!kind) {
      throw new ConfigError(
        file,
        line,
        `Unknown key "${key}" in classifier: allowed keys are ${Object.keys(CLASSIFIER_KEYS).join(", ")}`,
      );
    }
    const v = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
    const ok = kind === "int"
      ? Number.isInteger(v) && (v as number) >= 0
      : kind === "ratio"
      ? typeof v === "number" && v >= 0 && v <= 1
      : Array.isArray(v) && v.every((x) => typeof x === "string");
    if (!ok) {
      const want = kind === "int"
        ? "a whole number, 0 or more"
        : kind === "ratio"
        ? "a number from 0 to 1"
        : "a list of strings";
      throw new ConfigError(file, line, `"${key}" must be ${want}`);
    }
    const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    out[camel] = Array.isArray(v) ? Object.freeze([...v]) : v;
  }
  if (typeof out.low === "number" && typeof out.high === "number" && out.low > out.high) {
    throw new ConfigError(file, lineOf(section), `classifier low ${out.low} is above high ${out.high}`);
  }
  return Object.freeze(out) as ClassifierSettings;
}

function readFaqSource(node: unknown, file: string, line: number): CourseFaqSource {
  const v = (node as { toJSON?: () => unknown } | null)?.toJSON?.() ?? null;
  const o = v as Record<string, unknown> | null;
  if (!isMap(node) || o === null) {
    throw new ConfigError(
      file,
      line,
      '"faq" must be a mapping such as {source: ../faq/_questions, from_course: mlops-zoomcamp}',
    );
  }
  const unknown = Object.keys(o).find((k) => k !== "source" && k !== "from_course");
  if (unknown) {
    throw new ConfigError(file, line, `Unknown key "${unknown}" in faq: allowed keys are source, from_course`);
  }
  if (typeof o.source !== "string" || o.source.trim() === "") {
    throw new ConfigError(file, line, '"faq" needs a "source": a _questions folder, a course folder or a .jsonl file');
  }
  if (o.from_course !== undefined && (typeof o.from_course !== "string" || o.from_course.trim() === "")) {
    throw new ConfigError(file, line, '"from_course" in faq must be a non-empty string');
  }
  return Object.freeze({ source: o.source.trim(), fromCourse: (o.from_course as string | undefined)?.trim() ?? null });
}

function readStaff(
  item: YAMLMap,
  file: string,
  lineOf: (node: { range?: [number, number, number] | null } | null | undefined) => number,
): readonly string[] {
  const pair = item.items.find((p) => isScalar(p.key) && p.key.value === "staff");
  if (!pair) return Object.freeze([]);
  item.delete("staff");
  if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return Object.freeze([]);
  const line = lineOf(pair.key as Scalar);
  const v = (pair.value as { toJSON?: () => unknown }).toJSON?.();
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new ConfigError(file, line, '"staff" must be a list of Slack user ids, such as [U01AB2CD3EF]');
  }
  const bad = v.find((x) => !USER_ID_RE.test(x.trim().toUpperCase()));
  if (bad !== undefined) {
    throw new ConfigError(file, line, `staff "${bad}" is not a Slack user id: it looks like U01AB2CD3EF`);
  }
  return Object.freeze([...new Set(v.map((x) => x.trim().toUpperCase()))]);
}

/**
 * Parses the optional top-level `slack:` section of `courses.yml`.
 *
 * @param text The file's text.
 * @param file The file's path, for messages.
 * @returns The settings, frozen; empty when there is no section.
 * @throws {ConfigError} For an unknown key or a domain that is not a Slack workspace domain, with its line.
 * @example
 * ```ts
 * import { parseSlackSettings } from "./config.ts";
 * parseSlackSettings("slack:\n  domain: datatalks-club\n", "courses.yml").domain; // "datatalks-club"
 * ```
 */
export function parseSlackSettings(text: string, file: string): SlackSettings {
  const found = topSection(text, file, "slack", '"slack" must be a mapping, such as "domain: my-team"');
  if (!found) return Object.freeze({});
  const { section, lineOf } = found;
  const out: { domain?: string } = {};
  for (const pair of section.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const line = lineOf(pair.key);
    if (key !== "domain") throw new ConfigError(file, line, `Unknown key "${key}" in slack: the allowed key is domain`);
    const v = isScalar(pair.value) ? pair.value.value : undefined;
    const domain = typeof v === "string"
      ? v.trim().toLowerCase().replace(/^https?:\/\//, "").replace(/\.slack\.com\/?$/, "")
      : "";
    if (!DOMAIN_RE.test(domain)) {
      throw new ConfigError(
        file,
        line,
        `slack domain "${
          String(v)
        }" is not a Slack workspace domain: use the part before .slack.com, such as datatalks-club`,
      );
    }
    out.domain = domain;
  }
  return Object.freeze(out);
}

function readCourseMap(
  item: YAMLMap,
  file: string,
  lineOf: (node: { range?: [number, number, number] | null } | null | undefined) => number,
): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  for (const pair of item.items) {
    const keyNode = pair.key as Scalar;
    const key = isScalar(keyNode) ? String(keyNode.value) : "";
    const line = lineOf(keyNode);
    if (!(COURSE_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(file, line, `Unknown key "${key}" in a course: allowed keys are ${COURSE_KEYS.join(", ")}`);
    }
    const v = pair.value as Scalar | null;
    if (!isScalar(v) || typeof v.value !== "string" || v.value.trim() === "") {
      throw new ConfigError(file, line, `"${key}" must be a non-empty string`);
    }
    out.set(key, { value: v.value.trim(), line });
  }
  return out;
}

/** The environment variables the configuration reads. */
export const CONFIG_ENV = [
  "LAKE_URL",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL",
  "AWS_S3_FORCE_PATH_STYLE",
] as const;

/** Inputs of {@linkcode buildConfig}. */
export interface BuildConfigOptions {
  /** The text of `courses.yml`. */
  coursesText: string;
  /** Its path, for messages. */
  configFile: string;
  /**
   * The `--lake` flag.
   * @default {undefined} then `LAKE_URL`, then `./lake`
   */
  lake?: string;
  /**
   * The environment, by name; only {@linkcode CONFIG_ENV} is read.
   * @default {{}}
   */
  env?: Readonly<Record<string, string | undefined>>;
}

function envFlag(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new TypeError(`${name}="${value}" is not a boolean: use true or false`);
}

/**
 * Builds the frozen configuration of a run. The lake comes from `--lake`, then
 * `LAKE_URL`, then `./lake`.
 *
 * @param options The courses file's text, the flags and the environment.
 * @returns The configuration.
 * @throws {ConfigError} When `courses.yml` is not valid.
 * @throws {TypeError} When an environment variable has a wrong value.
 */
export function buildConfig(options: BuildConfigOptions): Config {
  const env = options.env ?? {};
  const courses = parseCourses(options.coursesText, options.configFile);
  const s3: S3LakeOptions = {};
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region) s3.region = region;
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  if (endpoint) s3.endpoint = endpoint;
  const pathStyle = envFlag(env.AWS_S3_FORCE_PATH_STYLE, "AWS_S3_FORCE_PATH_STYLE");
  if (pathStyle !== undefined) s3.forcePathStyle = pathStyle;
  return Object.freeze({
    lakeUrl: options.lake || env.LAKE_URL || "./lake",
    configFile: options.configFile,
    courses,
    classifier: parseClassifierSettings(options.coursesText, options.configFile),
    slack: parseSlackSettings(options.coursesText, options.configFile),
    s3: Object.freeze(s3),
  });
}

/**
 * Picks the courses named by `--course`, or all of them.
 *
 * @param config The configuration.
 * @param ids The ids asked for; empty means all.
 * @returns The courses, in file order.
 * @throws {RangeError} When an id is not in the configuration.
 */
export function selectCourses(config: Config, ids: readonly string[]): readonly Course[] {
  if (ids.length === 0) return config.courses;
  const known = new Set(config.courses.map((c) => c.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new RangeError(
      `Course "${unknown[0]}" is not in ${config.configFile}: add it there (known: ${[...known].join(", ")})`,
    );
  }
  return config.courses.filter((c) => ids.includes(c.id));
}
