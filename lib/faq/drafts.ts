/**
 * FAQ drafts: one Markdown entry per uncovered canonical group, in the
 * DataTalks.Club FAQ format (`{section}/{NNN}_{id}_{slug}.md`, YAML front
 * matter `id`, `question`, `sort_order`, the answer as the body), ready to copy
 * into the FAQ repository.
 *
 * - A group is uncovered when the course has no FAQ, when its `faq_match_id`
 *   names no entry of the FAQ, or when most of its labeled members say
 *   `faq_status: uncovered`.
 * - The id is 10 hex digits of a hash of the course and the group id, so a
 *   rerun gives the same ids; it never repeats an id of the FAQ.
 * - The section is the one whose entries' words the group's questions share
 *   most (TF-IDF cosine); `general` when there is no FAQ.
 * - The answer comes from the replies in the group's threads: staff first, then
 *   the most-reacted, then the longest; written by the LLM from those replies
 *   when a writer is given, else the best reply verbatim as Markdown.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { stringify } from "yaml";
import type { Cluster, FaqEntry, GoldLabel, ThreadMessage } from "./drafts_input.ts";
import { mrkdwnToMarkdown } from "../slack/markdown.ts";

/** The section of drafts for a course without an FAQ, or when no section fits. */
export const DEFAULT_SECTION = "general";

const STOP = new Set(
  ("a an and are as at be but by can could do does did for from get got has have hi hello hey how i i'm im if in into is it its " +
    "just me my no not of on or so some that the their them then there these this to too up was we were what when where " +
    "which who why will with would you your all any anyone everyone guys thanks thank please help question team").split(
      " ",
    ),
);

/**
 * The words of a text that carry meaning: lower-case, no stop words.
 *
 * @param text Any text.
 * @returns Its words, in order.
 */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9][a-z0-9_.+-]*[a-z0-9]|[a-z0-9]/g) ?? []).filter((w) =>
    w.length > 1 && !STOP.has(w)
  );
}

/**
 * The section whose entries come closest to some questions: TF-IDF cosine
 * between the questions' words and each section's questions and answers
 * (questions count three times).
 *
 * @param texts The group's questions.
 * @param faq The course's FAQ.
 * @returns The section id; {@linkcode DEFAULT_SECTION} when nothing matches.
 */
export function chooseSection(texts: readonly string[], faq: readonly FaqEntry[] | undefined): string {
  if (!faq || faq.length === 0) return DEFAULT_SECTION;
  const sections = new Map<string, Map<string, number>>();
  for (const e of faq) {
    const bag = sections.get(e.section) ?? new Map<string, number>();
    for (const w of words(e.question)) bag.set(w, (bag.get(w) ?? 0) + 3);
    for (const w of words(e.answer_plain)) bag.set(w, (bag.get(w) ?? 0) + 1);
    sections.set(e.section, bag);
  }
  const df = new Map<string, number>();
  for (const bag of sections.values()) for (const w of bag.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = (w: string) => Math.log((1 + sections.size) / (1 + (df.get(w) ?? 0))) + 1;
  const query = new Map<string, number>();
  for (const t of texts) for (const w of words(t)) query.set(w, (query.get(w) ?? 0) + 1);
  const qnorm = Math.sqrt([...query].reduce((s, [w, n]) => s + (n * idf(w)) ** 2, 0)) || 1;
  let best = "";
  let bestScore = 0;
  for (const [section, bag] of [...sections].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let dot = 0;
    let norm = 0;
    for (const [w, n] of bag) {
      const x = Math.log(1 + n) * idf(w);
      norm += x * x;
      const q = query.get(w);
      if (q) dot += x * q * idf(w);
    }
    const cos = dot / (Math.sqrt(norm) * qnorm || 1);
    if (cos > bestScore) [best, bestScore] = [section, cos];
  }
  if (best) return best;
  return sections.has(DEFAULT_SECTION) ? DEFAULT_SECTION : [...sections.keys()].sort()[0]!;
}

const GREETING =
  /^(?:(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|greetings|dear)\b[^.!?\n,]{0,30}[,.!:\s-]*|(?:@\S+[\s,:]*)+)+/i;

/**
 * A question title from a Slack message: no greeting or leading mention, one
 * line, the first sentence that asks (or the first sentence), at most
 * `max` characters.
 *
 * @param text The message's plain text.
 * @param max The longest title.
 * @returns The title.
 * @example
 * ```ts
 * import { questionTitle } from "./drafts.ts";
 * questionTitle("Hi all! I'm stuck. How do I join the course late?"); // "How do I join the course late?"
 * ```
 */
export function questionTitle(text: string, max = 150): string {
  const flat = text.replace(/```[\s\S]*?```/g, " ").replace(/:[a-z0-9_+-]+:/g, " ").replace(/\s+/g, " ").trim();
  const body = flat.replace(/^[\s\-•*>#]+/, "").replace(GREETING, "").replace(/^[\s\-•*>#,]+/, "").trim() || flat;
  // A sentence ends at . ! or ? followed by a space, so URLs and file names stay whole.
  const sentences = body.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter(Boolean);
  let title = sentences.find((s) => s.endsWith("?") && s.split(" ").length >= 2) ?? sentences[0] ?? body;
  if (title.length > max) {
    const cut = title.slice(0, max - 1);
    title = `${cut.slice(0, Math.max(cut.lastIndexOf(" "), max / 2))}…`;
  }
  return title.charAt(0).toUpperCase() + title.slice(1);
}

/**
 * The file-name slug of a question, as the DataTalks.Club FAQ makes it:
 * lower case, only letters, digits and hyphens, at most 50 characters.
 *
 * @param question The question.
 * @returns The slug; `question` when nothing is left.
 */
export function slugify(question: string): string {
  const s = question.normalize("NFKD").toLowerCase().replace(/[^a-z0-9\s-]/g, "").trim().replace(/[\s-]+/g, "-");
  return s.replace(/^-+/, "").slice(0, 50).replace(/-+$/, "") || "question";
}

/**
 * The draft id of a group: 10 hex digits of a hash of the course and group,
 * rehashed while it collides with an id already taken.
 *
 * @param courseId The course.
 * @param groupId The canonical group's id.
 * @param taken Ids already in use (the FAQ's, earlier drafts').
 * @returns The id.
 */
export function draftId(courseId: string, groupId: string, taken: ReadonlySet<string>): string {
  for (let salt = 0;; salt++) {
    const id = createHash("sha256").update(`faq-draft\n${courseId}\n${groupId}\n${salt || ""}`).digest("hex").slice(
      0,
      10,
    );
    if (!taken.has(id)) return id;
  }
}

/**
 * Whether a group is covered by the FAQ: its match names an entry, and its
 * labeled members do not mostly say `uncovered`.
 *
 * @param cluster The group.
 * @param faqIds The ids of the course's FAQ; `undefined` when it has none.
 * @param statuses The `faq_status` of the group's labeled members.
 * @returns Whether it is covered.
 */
export function isCovered(
  cluster: Pick<Cluster, "faq_match_id">,
  faqIds: ReadonlySet<string> | undefined,
  statuses: readonly (string | null)[] = [],
): boolean {
  if (!faqIds || faqIds.size === 0) return false;
  const covered = statuses.filter((s) => s === "covered").length;
  const uncovered = statuses.filter((s) => s === "uncovered").length;
  if (covered + uncovered > 0) return covered >= uncovered;
  return cluster.faq_match_id !== null && faqIds.has(cluster.faq_match_id);
}

/** A reply chosen to answer a group, and why. */
export interface ChosenReply {
  /** The reply. */
  reply: ThreadMessage;
  /** `staff` when a staff member wrote it, else `reactions`. */
  reason: "staff" | "reactions";
}

/**
 * The replies of the group's threads that could answer it, best first: human
 * replies by someone other than the asker, staff first, then by reactions,
 * then by length.
 *
 * @param heads The group's questions (thread heads).
 * @param messages Bronze messages holding their replies.
 * @param staff Staff user ids, upper-case.
 * @returns The candidate replies, best first.
 */
export function rankReplies(
  heads: readonly ThreadMessage[],
  messages: readonly ThreadMessage[],
  staff: readonly string[] = [],
): ChosenReply[] {
  const askers = new Map(heads.map((h) => [h.ts, h.user_id]));
  const staffSet = new Set(staff.map((s) => s.toUpperCase()));
  const seen = new Set<string>();
  const replies = messages.filter((m) => {
    if (m.thread_ts === null || m.ts === m.thread_ts || !askers.has(m.thread_ts) || seen.has(m.message_id)) {
      return false;
    }
    seen.add(m.message_id);
    const text = (m.text_plain ?? m.text ?? "").trim();
    return !m.deleted && !m.bot_id && (m.subtype === null || m.subtype === "thread_broadcast") && text.length >= 15 &&
      m.user_id !== null && m.user_id !== askers.get(m.thread_ts);
  });
  const isStaff = (m: ThreadMessage) => staffSet.has((m.user_id ?? "").toUpperCase());
  return replies
    .sort((a, b) =>
      Number(isStaff(b)) - Number(isStaff(a)) || b.reactions - a.reactions ||
      (b.text ?? "").length - (a.text ?? "").length || (a.ts < b.ts ? -1 : 1)
    )
    .map((reply) => ({ reply, reason: isStaff(reply) ? "staff" : "reactions" }));
}

/** What the LLM is given to write an answer. */
export interface DraftRequest {
  /** The group's questions, clearest first. */
  questions: string[];
  /** The best replies, best first, as plain text. */
  replies: string[];
}

/** What the LLM wrote. */
export interface DraftAnswer {
  /** A question title. */
  question: string;
  /** The answer, in Markdown. */
  answer: string;
}

/** One FAQ draft. */
export interface Draft {
  /** The file's path in the FAQ course folder: `{section}/{NNN}_{id}_{slug}.md`. */
  path: string;
  /** The section id. */
  section: string;
  /** The new entry's id. */
  id: string;
  /** The question. */
  question: string;
  /** The entry's order in its section. */
  sort_order: number;
  /** The answer, in Markdown. */
  answer: string;
  /** Where the answer came from. */
  source: "staff" | "reactions" | "llm" | "none";
  /** The canonical group. */
  groupId: string;
  /** Questions in the group. */
  size: number;
  /** The file's content. */
  content: string;
}

/** Options of {@linkcode buildDrafts}. */
export interface BuildDraftsOptions {
  /** The course. */
  courseId: string;
  /** The canonical groups. */
  clusters: readonly Cluster[];
  /** The course's FAQ; `undefined` when none was imported. */
  faq: readonly FaqEntry[] | undefined;
  /** Gold labels of the groups' members (for their text and `faq_status`). */
  gold: readonly GoldLabel[];
  /** Bronze messages of the groups' threads, heads and replies. */
  threads: readonly ThreadMessage[];
  /**
   * Staff user ids.
   * @default {[]}
   */
  staff?: readonly string[];
  /**
   * Fewest questions in a group for a draft.
   * @default {3}
   */
  minSize?: number;
  /**
   * Writes the answer from the replies (the LLM); `undefined` keeps the best
   * reply verbatim, as does a writer that gives `undefined`.
   * @default {undefined}
   */
  writer?: (request: DraftRequest) => Promise<DraftAnswer | undefined>;
  /**
   * A link to a message, for the note at the end of each draft.
   * @default {undefined} no links
   */
  link?: (messageId: string) => string | undefined;
}

function nextOrders(faq: readonly FaqEntry[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of faq ?? []) {
    const m = /(?:^|\/)(\d{1,4})_[^/]*$/.exec(e.source_path ?? "");
    const n = m ? Number(m[1]) : 0;
    out.set(
      e.section,
      Math.max(out.get(e.section) ?? 0, n, [...(faq ?? [])].filter((x) => x.section === e.section).length),
    );
  }
  return out;
}

/**
 * The uncovered groups of a course, largest first.
 *
 * @param clusters The groups.
 * @param faq The FAQ, or `undefined`.
 * @param gold Gold labels of their members.
 * @param minSize Fewest questions.
 * @returns The gaps.
 */
export function uncoveredGroups(
  clusters: readonly Cluster[],
  faq: readonly FaqEntry[] | undefined,
  gold: readonly GoldLabel[],
  minSize = 1,
): Cluster[] {
  const faqIds = faq ? new Set(faq.map((e) => e.id)) : undefined;
  const status = new Map(gold.map((g) => [g.message_id, g.faq_status]));
  return clusters
    .filter((c) => c.size >= minSize)
    .filter((c) => !isCovered(c, faqIds, c.member_ids.map((id) => status.get(id) ?? null)))
    .sort((a, b) => b.size - a.size || (a.id < b.id ? -1 : 1));
}

/**
 * Drafts one FAQ entry per uncovered group of at least `minSize` questions.
 *
 * @param options The groups, the FAQ, the labels and threads, and the writer.
 * @returns The drafts, largest group first; paths and ids are unique.
 */
export async function buildDrafts(options: BuildDraftsOptions): Promise<Draft[]> {
  const { faq, courseId } = options;
  const gaps = uncoveredGroups(options.clusters, faq, options.gold, options.minSize ?? 3);
  const goldById = new Map(options.gold.map((g) => [g.message_id, g]));
  const byId = new Map(options.threads.map((m) => [m.message_id, m]));
  const taken = new Set((faq ?? []).map((e) => e.id));
  const orders = nextOrders(faq);
  const drafts: Draft[] = [];
  for (const c of gaps) {
    const texts = [
      c.canonical_text,
      ...c.member_ids.map((id) => goldById.get(id)?.text ?? byId.get(id)?.text_plain ?? ""),
    ]
      .filter((t) => t.trim() !== "");
    const section = chooseSection(texts, faq);
    const heads = c.member_ids.map((id) => byId.get(id)).filter((m): m is ThreadMessage => m !== undefined);
    const ranked = rankReplies(heads, options.threads, options.staff);
    let question = questionTitle(c.canonical_text || texts[0] || "");
    let answer = "";
    let source: Draft["source"] = "none";
    if (ranked.length > 0 && options.writer) {
      const written = await options.writer({
        questions: [...new Set(texts)].slice(0, 5),
        replies: ranked.slice(0, 5).map((r) => r.reply.text_plain ?? r.reply.text ?? ""),
      });
      if (written && written.answer.trim()) {
        answer = written.answer.trim();
        if (written.question.trim()) question = questionTitle(written.question, 200);
        source = "llm";
      }
    }
    if (!answer && ranked[0]) {
      answer = mrkdwnToMarkdown(ranked[0].reply.text ?? ranked[0].reply.text_plain ?? "");
      answer = answer.replace(/^[a-z]/, (c) => c.toUpperCase());
      source = ranked[0].reason;
    }
    if (!answer) {
      answer = `TODO: none of the ${c.size} threads of this question got an answer; write one before merging.`;
    }
    const id = draftId(courseId, c.id, taken);
    taken.add(id);
    const order = (orders.get(section) ?? 0) + 1;
    orders.set(section, order);
    const path = `${section}/${String(order).padStart(3, "0")}_${id}_${slugify(question)}.md`;
    const note = draftNote(c, source, ranked[0]?.reply, options.link);
    drafts.push({
      path,
      section,
      id,
      question,
      sort_order: order,
      answer,
      source,
      groupId: c.id,
      size: c.size,
      content: renderDraft({ id, question, sort_order: order }, `${answer}\n\n${note}`),
    });
  }
  return drafts;
}

function draftNote(
  c: Cluster,
  source: Draft["source"],
  reply: ThreadMessage | undefined,
  link: ((messageId: string) => string | undefined) | undefined,
): string {
  const how = source === "llm"
    ? "written by an LLM from the threads' replies"
    : source === "staff"
    ? "a staff reply, verbatim"
    : source === "reactions"
    ? "the most-reacted reply, verbatim"
    : "no reply to draft from";
  const links = c.member_ids.slice(0, 3).map((id) => link?.(id)).filter((x): x is string => !!x);
  const from = reply && link?.(reply.message_id);
  const inner = `Draft from ${c.size} Slack question(s) (group ${c.id}); answer: ${how}${from ? ` (${from})` : ""}.${
    links.length ? ` Threads: ${links.join(" ")}` : ""
  } Review, then delete this note.`;
  // "--" may not appear inside an HTML comment.
  return `<!-- ${inner.replace(/-{2,}/g, "-")} -->`;
}

/**
 * One FAQ file: YAML front matter and the Markdown answer.
 *
 * @param front The front matter.
 * @param body The answer.
 * @returns The file's text.
 */
export function renderDraft(front: { id: string; question: string; sort_order: number }, body: string): string {
  const yaml = stringify(
    { id: front.id, question: front.question, sort_order: front.sort_order },
    { lineWidth: 88 },
  );
  return `---\n${yaml}---\n\n${body.trim()}\n`;
}
