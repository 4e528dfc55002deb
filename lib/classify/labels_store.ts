/**
 * Training labels kept in the lake, per course, as JSON Lines:
 *
 * ```
 * labels/{course_id}/sample.jsonl   the candidates label:bootstrap sampled (message_id, text, month)
 * labels/{course_id}/llm.jsonl      the LLM's labels
 * labels/{course_id}/faq.jsonl      weak labels from the FAQ matcher (positives only)
 * labels/{course_id}/human.jsonl    labels from the human audit (labels:import)
 * ```
 *
 * Each label line holds `message_id`, `text`, `label` (boolean), `source`
 * (`llm`, `faq` or `human`), `confidence` (0 to 1) and `reason`. A message may
 * have a line in several files; the label that counts is the human's, then the
 * LLM's, then the FAQ's ({@linkcode resolveLabels}). Files are merged by
 * `message_id` when written, so a rerun replaces lines rather than adding them.
 *
 * @module
 */

import type { Lake } from "../lake.ts";
import { checkCourseId } from "../layout.ts";

/** Prefix of the training labels. */
export const LABELS_ROOT = "labels";

/** Where a label came from, in rising order of trust. */
export type LabelSource = "faq" | "llm" | "human";

/** The label sources, highest precedence first. */
export const SOURCE_PRECEDENCE: readonly LabelSource[] = Object.freeze(["human", "llm", "faq"]);

/** One training label, as a line of a labels file. */
export interface LabelRecord {
  /** `{course_id}:{ts_raw}`, as in bronze and gold. */
  message_id: string;
  /** The message's plain text. */
  text: string;
  /** Whether it is an FAQ. */
  label: boolean;
  /** Who said so. */
  source: LabelSource;
  /** How sure, 0 to 1 (1 for a human). */
  confidence: number;
  /** Why, in one sentence. */
  reason: string;
}

/** One sampled candidate, as a line of `sample.jsonl`. */
export interface SampleRecord {
  /** `{course_id}:{ts_raw}`. */
  message_id: string;
  /** The message's plain text. */
  text: string;
  /** The message's month, `YYYY-MM`: the stratum it was drawn from. */
  month: string;
}

/** Which file of a course's labels. */
export type LabelsFile = LabelSource | "sample";

/**
 * The key of one labels file of a course.
 *
 * @param courseId The course.
 * @param file Which file.
 * @returns The key.
 * @example
 * ```ts
 * import { labelsKey } from "./labels_store.ts";
 * labelsKey("ml-zoomcamp", "human"); // "labels/ml-zoomcamp/human.jsonl"
 * ```
 */
export function labelsKey(courseId: string, file: LabelsFile): string {
  return `${LABELS_ROOT}/${checkCourseId(courseId)}/${file}.jsonl`;
}

/**
 * The course of a message id, `{course_id}:{ts_raw}`.
 *
 * @param messageId The message id.
 * @returns The course id, or `undefined` when the id has no course part.
 */
export function courseOfMessageId(messageId: string): string | undefined {
  const at = messageId.lastIndexOf(":");
  return at > 0 ? messageId.slice(0, at) : undefined;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Reads one labels file; a missing file reads as no lines.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param file Which file.
 * @returns Its lines, parsed.
 * @throws {SyntaxError} When a line is not JSON, naming the key and line.
 */
export async function readLabelsFile<T extends LabelRecord | SampleRecord>(
  lake: Lake,
  courseId: string,
  file: LabelsFile,
): Promise<T[]> {
  const key = labelsKey(courseId, file);
  if (!(await lake.stat(key))) return [];
  const out: T[] = [];
  dec.decode(await lake.read(key)).split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new SyntaxError(`${lake.url}/${key}:${i + 1}: not JSON (${(e as Error).message}): fix or delete the line`);
    }
  });
  return out;
}

// Merges of one file in this process, one after the other: see mergeLabelsFile().
const merging = new Map<string, Promise<unknown>>();

/**
 * Merges lines into a labels file by `message_id` (new lines replace old ones
 * of the same message) and writes it back, sorted by `message_id` so that the
 * same content gives the same bytes.
 *
 * Two merges of one file in one process run one after the other, so neither
 * loses the other's lines. Across processes (two `labels:import` at once), the
 * file's fingerprint is checked again just before the write, and the merge is
 * done again on the newer file when it changed; that leaves a window of one
 * write, not of the whole run.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param file Which file.
 * @param records The new lines.
 * @returns How many lines the file holds now.
 */
export function mergeLabelsFile<T extends LabelRecord | SampleRecord>(
  lake: Lake,
  courseId: string,
  file: LabelsFile,
  records: readonly T[],
): Promise<number> {
  const key = labelsKey(courseId, file);
  const id = `${lake.url}/${key}`;
  const before = merging.get(id) ?? Promise.resolve();
  const run = before.catch(() => {}).then(() => mergeNow(lake, courseId, file, records));
  merging.set(id, run);
  const done = () => {
    if (merging.get(id) === run) merging.delete(id);
  };
  run.then(done, done);
  return run;
}

async function mergeNow<T extends LabelRecord | SampleRecord>(
  lake: Lake,
  courseId: string,
  file: LabelsFile,
  records: readonly T[],
): Promise<number> {
  const key = labelsKey(courseId, file);
  for (let attempt = 1;; attempt++) {
    const seen = (await lake.stat(key))?.fingerprint;
    const byId = new Map<string, T>();
    for (const r of await readLabelsFile<T>(lake, courseId, file)) byId.set(r.message_id, r);
    for (const r of records) byId.set(r.message_id, r);
    const lines = [...byId.values()].sort((a, b) => (a.message_id < b.message_id ? -1 : 1)).map((r) =>
      JSON.stringify(r)
    );
    // Another process wrote the file since it was read: merge again on its version.
    if ((await lake.stat(key))?.fingerprint !== seen && attempt < 5) continue;
    await lake.write(key, enc.encode(lines.length ? lines.join("\n") + "\n" : ""), {
      contentType: "application/x-ndjson",
    });
    return byId.size;
  }
}

/**
 * Picks one label per message: the human's, else the LLM's, else the FAQ's.
 *
 * @param records Labels of any sources, in any order.
 * @returns One label per message, sorted by `message_id`.
 * @example
 * ```ts
 * import { resolveLabels } from "./labels_store.ts";
 * const base = { message_id: "c:1", text: "t", confidence: 1, reason: "" };
 * resolveLabels([{ ...base, label: true, source: "llm" }, { ...base, label: false, source: "human" }])[0]?.label; // false
 * ```
 */
export function resolveLabels(records: readonly LabelRecord[]): LabelRecord[] {
  const rank = (s: LabelSource) => SOURCE_PRECEDENCE.indexOf(s);
  const best = new Map<string, LabelRecord>();
  for (const r of records) {
    const prev = best.get(r.message_id);
    if (!prev || rank(r.source) < rank(prev.source)) best.set(r.message_id, r);
  }
  return [...best.values()].sort((a, b) => (a.message_id < b.message_id ? -1 : 1));
}

/**
 * Every label of a course, from all three sources, resolved to one per message.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @returns The labels that count.
 */
export async function readCourseLabels(lake: Lake, courseId: string): Promise<LabelRecord[]> {
  const all: LabelRecord[] = [];
  for (const source of SOURCE_PRECEDENCE) all.push(...await readLabelsFile<LabelRecord>(lake, courseId, source));
  return resolveLabels(all);
}

/**
 * Counts labels by source.
 *
 * @param records Labels.
 * @returns `{faq, llm, human}` counts.
 */
export function countBySource(records: readonly LabelRecord[]): Record<LabelSource, number> {
  const out: Record<LabelSource, number> = { llm: 0, faq: 0, human: 0 };
  for (const r of records) out[r.source]++;
  return out;
}
