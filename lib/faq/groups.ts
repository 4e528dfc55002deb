/**
 * Canonical question groups: candidates that ask the same thing, across days
 * and cohorts, kept incrementally.
 *
 * A new question joins the group whose centroid is most similar to it, when
 * that similarity clears the threshold, and otherwise starts a group. The
 * similarity is the cosine of TF-IDF vectors over the terms of `text.ts`
 * (document frequencies are counted over the course's questions as they
 * arrive), plus a bonus when the question and the group have the same covered
 * best FAQ match. A group's id is derived from its first member's message id,
 * so it never changes; a message already in a group (from its earlier gold
 * row) stays there on a rerun. The group's text is its clearest member: a
 * question of moderate length, with a question mark, with little pasted code.
 *
 * The compact index (centroids truncated to their heaviest terms, document
 * frequencies) lives in `_state/faq/{course}/groups.json`, and the table in
 * `silver/faq_clusters/course_id={course}/clusters.parquet`; a daily run reads
 * both once, updates only the groups its days touch, and writes them back.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Lake } from "../lake.ts";
import { clustersKey, STATE_ROOT } from "../layout.ts";
import { col, type ColumnSpec, readParquetRows, writeParquet } from "../parquet.ts";
import { analyze } from "./text.ts";

/** The silver groups table's columns. */
export const CLUSTER_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  col("id", "string", false),
  col("canonical_text", "string", false),
  col("size", "int32", false),
  col("first_seen", "timestamp", false),
  col("last_seen", "timestamp", false),
  col("faq_match_id", "string"),
  col("member_ids", "strings", false),
]);

/** One row of the groups table. */
export interface ClusterRow {
  id: string;
  canonical_text: string;
  size: number;
  first_seen: bigint;
  last_seen: bigint;
  faq_match_id: string | null;
  member_ids: string[];
}

/**
 * The default similarity a question needs to join a group. Chosen on the
 * grouping fixture (`tests/faq/groups_test.ts`: topics asked several ways among
 * unrelated questions) as the middle of the range where pairwise F1 is best;
 * see the README.
 */
export const DEFAULT_GROUP_THRESHOLD = 0.25;
/** Added to the similarity when the question's covered FAQ match is the group's. */
export const SAME_FAQ_BONUS = 0.2;
/** Terms kept per centroid. */
const CENTROID_TERMS = 48;

interface GroupState {
  id: string;
  /** Centroid: term -> weight (sum of member vectors, truncated). */
  c: Record<string, number>;
  n: number;
  text: string;
  clarity: number;
}

interface GroupsFile {
  version: 1;
  docs: number;
  df: Record<string, number>;
  groups: GroupState[];
}

/** One question to place. */
export interface GroupInput {
  /** The message id. */
  messageId: string;
  /** The text. */
  text: string;
  /** The message time, microseconds. */
  ts: bigint;
  /** The group it was in before (its earlier gold row), if any. */
  previousGroup?: string | null;
  /** Its best FAQ match, when covered. */
  faqMatchId?: string | null;
}

/** Options of {@linkcode openGroups}. */
export interface GroupOptions {
  /**
   * Similarity needed to join a group.
   * @default {DEFAULT_GROUP_THRESHOLD}
   */
  threshold?: number;
}

/** A course's groups, open for a run. */
export interface Groups {
  /** Places questions (in time order) and returns each one's group id and text. */
  assign(items: readonly GroupInput[]): { id: string; text: string }[];
  /** Writes the touched groups and the index back. */
  save(): Promise<{ groups: number; touched: number }>;
}

/**
 * The key of a course's group index.
 *
 * @param courseId The course.
 * @returns The key.
 */
export function groupsStateKey(courseId: string): string {
  return `${STATE_ROOT}/faq/${courseId}/groups.json`;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * How clear a question reads as a group's title: moderate length, a question
 * mark, little pasted code or traceback.
 *
 * @param text The question.
 * @returns Higher is clearer.
 */
export function clarity(text: string): number {
  const t = text.trim();
  const lines = t.split("\n");
  const codeLines = lines.filter((l) => /^\s{2,}|[{}();=]\s*$|Traceback|File "/.test(l)).length;
  return -Math.abs(Math.min(t.length, 600) - 120) / 120 + (t.includes("?") ? 0.5 : 0) - 0.3 * codeLines -
    0.2 * Math.max(0, lines.length - 3);
}

/**
 * Opens a course's groups from the lake.
 *
 * @param lake The lake.
 * @param courseId The course.
 * @param options The threshold.
 * @returns The groups.
 */
export async function openGroups(lake: Lake, courseId: string, options: GroupOptions = {}): Promise<Groups> {
  const threshold = options.threshold ?? DEFAULT_GROUP_THRESHOLD;
  const stateKey = groupsStateKey(courseId);
  let state: GroupsFile = { version: 1, docs: 0, df: {}, groups: [] };
  if (await lake.stat(stateKey)) {
    try {
      state = JSON.parse(dec.decode(await lake.read(stateKey))) as GroupsFile;
      if (state.version !== 1 || !Array.isArray(state.groups)) throw new TypeError("unknown format");
    } catch (e) {
      throw new SyntaxError(
        `Group index ${stateKey} is not valid (${(e as Error).message}): delete it and relabel the course with --force`,
      );
    }
  }
  const rows = new Map<string, ClusterRow>();
  const key = clustersKey(courseId);
  if (await lake.stat(key)) {
    for (const r of readParquetRows<ClusterRow>(CLUSTER_COLUMNS, await lake.read(key))) rows.set(r.id, r);
  }
  const byId = new Map(state.groups.map((g) => [g.id, g]));
  const faqOf = new Map<string, string | null>([...rows.values()].map((r) => [r.id, r.faq_match_id]));
  const touched = new Set<string>();

  const vectorOf = (text: string): Map<string, number> => {
    const terms = analyze(text, { query: true });
    const v = new Map<string, number>();
    let s = 0;
    for (const [t, w] of terms) {
      const idf = Math.log((1 + state.docs) / (1 + (state.df[t] ?? 0))) + 1;
      const x = (w >= 1 ? 1 + Math.log(w) : w) * idf;
      v.set(t, x);
      s += x * x;
    }
    const n = Math.sqrt(s) || 1;
    for (const [t, x] of v) v.set(t, x / n);
    return v;
  };
  // An inverted index from centroid terms to groups, and each centroid's norm, so that a question is
  // compared with the groups it shares a term with, not with every group in the history.
  const postings = new Map<string, Set<GroupState>>();
  const norms = new Map<GroupState, number>();
  const order = new Map<GroupState, number>();
  const byFaq = new Map<string, Set<GroupState>>();
  const indexGroup = (g: GroupState, old: Record<string, number> | undefined) => {
    if (old) { for (const t of Object.keys(old)) postings.get(t)?.delete(g); }
    let n = 0;
    for (const [t, x] of Object.entries(g.c)) {
      n += x * x;
      let set = postings.get(t);
      if (!set) postings.set(t, set = new Set());
      set.add(g);
    }
    norms.set(g, Math.sqrt(n));
    if (!order.has(g)) order.set(g, order.size);
  };
  const indexFaq = (g: GroupState, faqId: string | null | undefined) => {
    if (!faqId) return;
    let set = byFaq.get(faqId);
    if (!set) byFaq.set(faqId, set = new Set());
    set.add(g);
  };
  for (const g of state.groups) {
    indexGroup(g, undefined);
    indexFaq(g, faqOf.get(g.id));
  }
  const similarity = (v: Map<string, number>, g: GroupState): number => {
    const cn = norms.get(g) ?? 0;
    if (cn === 0) return 0;
    let dot = 0;
    for (const [t, x] of v) dot += x * (g.c[t] ?? 0);
    return dot / cn;
  };
  const addTo = (g: GroupState, v: Map<string, number>) => {
    const old = g.c;
    const next: Record<string, number> = { ...old };
    for (const [t, x] of v) next[t] = (next[t] ?? 0) + x;
    const top = Object.entries(next).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, CENTROID_TERMS);
    g.c = Object.fromEntries(top.map(([t, x]) => [t, Math.round(x * 1e4) / 1e4]));
    g.n++;
    indexGroup(g, old);
  };

  return {
    assign(items) {
      return items.map((it) => {
        const text = it.text ?? "";
        const row = it.previousGroup ? rows.get(it.previousGroup) : undefined;
        const known = row !== undefined && row.member_ids.includes(it.messageId);
        let g = known ? byId.get(row.id) : undefined;
        if (!g) {
          const terms = analyze(text, { query: true });
          for (const t of terms.keys()) state.df[t] = (state.df[t] ?? 0) + 1;
          state.docs++;
          const v = vectorOf(text);
          let best: GroupState | undefined;
          let bestSim = -1;
          const candidates = new Set<GroupState>(it.faqMatchId ? byFaq.get(it.faqMatchId) ?? [] : []);
          for (const t of v.keys()) for (const g of postings.get(t) ?? []) candidates.add(g);
          for (const cand of candidates) {
            let sim = similarity(v, cand);
            if (it.faqMatchId && faqOf.get(cand.id) === it.faqMatchId) sim += SAME_FAQ_BONUS;
            if (sim > bestSim || (sim === bestSim && best && order.get(cand)! < order.get(best)!)) {
              bestSim = sim;
              best = cand;
            }
          }
          if (best && bestSim >= threshold) g = best;
          else {
            const id = "g-" + createHash("sha256").update(it.messageId).digest("hex").slice(0, 12);
            g = byId.get(id) ?? { id, c: {}, n: 0, text, clarity: clarity(text) };
            if (!byId.has(id)) {
              state.groups.push(g);
              byId.set(id, g);
            }
          }
          addTo(g, v);
          const cl = clarity(text);
          if (cl > g.clarity) {
            g.clarity = cl;
            g.text = text;
          }
        }
        let r = rows.get(g.id);
        if (!r) {
          r = {
            id: g.id,
            canonical_text: g.text,
            size: 0,
            first_seen: it.ts,
            last_seen: it.ts,
            faq_match_id: it.faqMatchId ?? null,
            member_ids: [],
          };
          rows.set(g.id, r);
          faqOf.set(g.id, r.faq_match_id);
          indexFaq(g, r.faq_match_id);
        }
        if (!r.member_ids.includes(it.messageId)) r.member_ids.push(it.messageId);
        r.size = r.member_ids.length;
        if (it.ts < r.first_seen) r.first_seen = it.ts;
        if (it.ts > r.last_seen) r.last_seen = it.ts;
        r.canonical_text = g.text;
        if (r.faq_match_id === null && it.faqMatchId) {
          r.faq_match_id = it.faqMatchId;
          faqOf.set(g.id, r.faq_match_id);
          indexFaq(g, r.faq_match_id);
        }
        touched.add(g.id);
        return { id: g.id, text: g.text };
      });
    },
    async save() {
      if (touched.size > 0) {
        const all = [...rows.values()].sort((
          a,
          b,
        ) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : 0));
        await lake.write(key, writeParquet(CLUSTER_COLUMNS, all), { contentType: "application/vnd.apache.parquet" });
        await lake.write(stateKey, enc.encode(JSON.stringify(state)), { contentType: "application/json" });
      }
      return { groups: rows.size, touched: touched.size };
    },
  };
}
