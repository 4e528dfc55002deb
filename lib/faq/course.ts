/**
 * A course's FAQ, open for a labeling or matching run: the lexical index, and,
 * with a real sentence encoder, the FAQ's embeddings for the fused path.
 *
 * @module
 */

import type { Embedder } from "../classify/embed.ts";
import type { Lake } from "../lake.ts";
import { buildFaqIndex, type FaqIndex, type FaqMatch, fuseRankings } from "./match.ts";
import { readFaq } from "./store.ts";

export type { FaqMatch };

/** One question's matches and status. */
export interface QuestionMatch {
  /** Best first, at most 5. */
  matches: FaqMatch[];
  /** `covered`, `uncovered`, or null when the course has no FAQ. */
  status: "covered" | "uncovered" | null;
}

/** A course's FAQ, open for a run. */
export interface CourseFaq {
  /** Which path matching takes. */
  readonly path: "lexical" | "fused" | "none";
  /** The lexical index, when the course has a FAQ. */
  readonly index: FaqIndex | undefined;
  /**
   * Matches questions.
   * @param texts The questions.
   * @param vectors Their embeddings, for the fused path.
   */
  matchAll(texts: readonly string[], vectors?: readonly Float32Array[]): Promise<QuestionMatch[]>;
}

/** Options of {@linkcode openCourseFaq}. */
export interface OpenCourseFaqOptions {
  /**
   * The encoder; without it, or when it is synthetic, matching is lexical.
   * @default {undefined}
   */
  embedder?: Embedder;
  /**
   * Force the fused path on or off.
   * @default {undefined} on exactly when the encoder is real
   */
  fuse?: boolean;
}

/** How many candidates each ranking hands to the fusion. */
const FUSE_DEPTH = 20;

/**
 * Opens a course's FAQ.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param options The encoder and whether to fuse.
 * @returns The open FAQ; its path is `none` when the course has no FAQ.
 */
export async function openCourseFaq(
  lake: Lake,
  courseId: string,
  options: OpenCourseFaqOptions = {},
): Promise<CourseFaq> {
  const entries = await readFaq(lake, courseId);
  if (!entries || entries.length === 0) {
    return {
      path: "none",
      index: undefined,
      matchAll: (texts) => Promise.resolve(texts.map(() => ({ matches: [], status: null }))),
    };
  }
  const index = buildFaqIndex(entries);
  const embedder = options.embedder;
  const fuse = embedder !== undefined && (options.fuse ?? !embedder.synthetic);
  let faqVectors: Float32Array[] | undefined;
  const status = (m: FaqMatch[]): "covered" | "uncovered" =>
    m[0] && index.isCovered(m[0].score) ? "covered" : "uncovered";
  return {
    path: fuse ? "fused" : "lexical",
    index,
    async matchAll(texts, vectors) {
      if (!fuse || !vectors || vectors.length !== texts.length) {
        return texts.map((t) => {
          const matches = index.match(t, 5);
          return { matches, status: status(matches) };
        });
      }
      faqVectors ??= await embedder!.embed(entries.map((e) => `${e.question}\n${e.answer_plain.slice(0, 300)}`));
      return texts.map((t, i) => {
        const v = vectors[i]!;
        const dense = faqVectors!.map((f, j) => {
          let s = 0;
          for (let d = 0; d < f.length; d++) s += f[d]! * v[d]!;
          return { faq_id: entries[j]!.id, score: s };
        }).sort((a, b) => b.score - a.score).slice(0, FUSE_DEPTH);
        const matches = fuseRankings(index.match(t, FUSE_DEPTH), dense, { limit: 5 });
        return { matches, status: status(matches) };
      });
    },
  };
}
