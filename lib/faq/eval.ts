/**
 * `faq:eval`: hit@1, hit@5 and MRR@5 of a matcher on a labelled set of
 * questions.
 *
 * Queries are JSON Lines of `{id, text, course?}`; the truth is JSON Lines of
 * `{id, faq_ids: [...]}` (the entries that answer the question).
 *
 * @module
 */

import type { FaqIndex } from "./match.ts";

/** One labelled question. */
export interface EvalQuery {
  /** Its id. */
  id: string;
  /** The text, as a student wrote it. */
  text: string;
  /** The course it belongs to, when the file mixes courses. */
  course?: string;
}

/** The figures. */
export interface EvalFigures {
  /** Questions scored (those with a truth). */
  n: number;
  /** Share whose first match answers it. */
  hit1: number;
  /** Share with an answering entry among the first five. */
  hit5: number;
  /** Mean reciprocal rank of the first answering entry in the first five. */
  mrr5: number;
}

function lines(text: string, file: string): Record<string, unknown>[] {
  return text.split("\n").map((l, i) => [l.trim(), i + 1] as const).filter(([l]) => l !== "").map(([l, n]) => {
    try {
      const v = JSON.parse(l);
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new TypeError("not an object");
      return v as Record<string, unknown>;
    } catch (e) {
      throw new SyntaxError(`${file}:${n} is not a JSON object (${(e as Error).message}): fix or remove the line`);
    }
  });
}

/**
 * Parses a queries file.
 *
 * @param text The file's text.
 * @param file Its path, for messages.
 * @returns The queries.
 * @throws {SyntaxError} When a line is not a JSON object.
 * @throws {TypeError} When a line has no id or text.
 */
export function parseQueries(text: string, file: string): EvalQuery[] {
  return lines(text, file).map((o, i) => {
    if (typeof o.id !== "string" || typeof o.text !== "string") {
      throw new TypeError(`${file}: query ${i + 1} needs a string "id" and "text"`);
    }
    return { id: o.id, text: o.text, ...(typeof o.course === "string" ? { course: o.course } : {}) };
  });
}

/**
 * Parses a truth file.
 *
 * @param text The file's text.
 * @param file Its path, for messages.
 * @returns The answering entry ids by question id.
 * @throws {SyntaxError} When a line is not a JSON object.
 * @throws {TypeError} When a line has no id or faq_ids list.
 */
export function parseTruth(text: string, file: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  lines(text, file).forEach((o, i) => {
    if (typeof o.id !== "string" || !Array.isArray(o.faq_ids) || !o.faq_ids.every((x) => typeof x === "string")) {
      throw new TypeError(`${file}: line ${i + 1} needs a string "id" and a "faq_ids" list of strings`);
    }
    out.set(o.id, new Set(o.faq_ids as string[]));
  });
  return out;
}

/**
 * Scores a matcher.
 *
 * @param index The matcher.
 * @param queries The questions.
 * @param truth The answering entries by question id; questions without one are skipped.
 * @returns The figures.
 */
export function evaluateMatcher(
  index: FaqIndex,
  queries: readonly EvalQuery[],
  truth: ReadonlyMap<string, ReadonlySet<string>>,
): EvalFigures {
  let n = 0, h1 = 0, h5 = 0, mrr = 0;
  for (const q of queries) {
    const t = truth.get(q.id);
    if (!t) continue;
    n++;
    const r = index.match(q.text, 5).findIndex((m) => t.has(m.faq_id));
    if (r === 0) h1++;
    if (r >= 0) {
      h5++;
      mrr += 1 / (r + 1);
    }
  }
  const f = (x: number) => (n === 0 ? 0 : Math.round((x / n) * 1000) / 1000);
  return { n, hit1: f(h1), hit5: f(h5), mrr5: f(mrr) };
}
