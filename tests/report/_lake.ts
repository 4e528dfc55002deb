// Builds small lakes for the report and drafts tests: bronze, gold (with the FAQ columns), silver groups,
// the FAQ reference table and an audit, each written the way the pipeline writes it.
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm";
import type { Lake } from "../../lib/lake.ts";
import { clustersKey, dayOfMicros, faqKey, partitionKey } from "../../lib/layout.ts";
import { BRONZE_COLUMNS, col, type ColumnSpec, writeParquet } from "../../lib/parquet.ts";
import { GOLD_COLUMNS, type GoldRow } from "../../lib/classify/label.ts";
import type { BronzeRow } from "../../lib/slack/message.ts";

/** Gold as issue 10 writes it: GOLD_COLUMNS with faq_matches, faq_match_id, faq_match_score and faq_status. */
export const GOLD_FAQ_COLUMNS: readonly ColumnSpec[] = GOLD_COLUMNS;

/** Gold as it was before issue 10: no FAQ columns. */
export const GOLD_OLD_COLUMNS: readonly ColumnSpec[] = GOLD_COLUMNS.filter((c) => !c.name.startsWith("faq_"));

/** The reference FAQ table. */
export const FAQ_COLUMNS: readonly ColumnSpec[] = [
  col("id", "string", false),
  col("section", "string", false),
  col("question", "string", false),
  col("answer_plain", "string", false),
  col("source_path", "string", false),
  col("sha256", "string", false),
];

export interface Msg {
  /** Seconds since the epoch; the message id is `{course}:{ts}.000100`. */
  at: number;
  user: string;
  text: string;
  /** The head's `at`, for a reply. */
  thread?: number;
  reactions?: number;
  bot?: boolean;
  subtype?: string;
}

export interface Question extends Msg {
  group?: string;
  groupText?: string;
  isFaq?: boolean;
  faqMatch?: string | null;
  faqStatus?: "covered" | "uncovered" | null;
  llmStatus?: string;
  decisionSource?: "model" | "llm";
}

export interface Group {
  id: string;
  text: string;
  faqMatch: string | null;
  members: string[];
}

export interface FaqRow {
  id: string;
  section: string;
  question: string;
  answer: string;
  order: number;
}

export function tsRaw(at: number): string {
  return `${at}.000100`;
}

export function messageId(course: string, at: number): string {
  return `${course}:${tsRaw(at)}`;
}

const micros = (at: number) => BigInt(at) * 1_000_000n + 100n;

/** Seconds since the epoch of a day and hour. */
export function at(day: string, hour = 12, minute = 0): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000 + hour * 3600 + minute * 60;
}

function byDay<T>(rows: T[], ts: (r: T) => bigint): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const d = dayOfMicros(ts(r));
    out.set(d, [...(out.get(d) ?? []), r]);
  }
  return out;
}

/** Writes bronze (every message, heads with reply counts) and gold (the questions) of a course. */
export async function writeCourse(
  lake: Lake,
  course: string,
  options: { channelId?: string; questions: Question[]; others?: Msg[] },
): Promise<void> {
  const all: Msg[] = [...options.questions, ...(options.others ?? [])];
  const bronze: BronzeRow[] = all.map((m) => {
    const replies = all.filter((r) => r.thread === m.at && r !== m);
    const isHead = m.thread === undefined || m.thread === m.at;
    const d = dayOfMicros(micros(m.at));
    return {
      message_id: messageId(course, m.at),
      course_id: course,
      channel: "chan",
      channel_id: options.channelId ?? null,
      ts: micros(m.at),
      ts_raw: tsRaw(m.at),
      thread_ts: m.thread !== undefined ? micros(m.thread) : replies.length ? micros(m.at) : null,
      thread_ts_raw: m.thread !== undefined ? tsRaw(m.thread) : replies.length ? tsRaw(m.at) : null,
      is_thread_head: isHead,
      user_id: m.user,
      user_name: null,
      client_msg_id: null,
      bot_id: m.bot ? "B1" : null,
      subtype: m.subtype ?? null,
      text: m.text,
      text_plain: m.text.replace(/<(?:[^|>]*\|)?([^>]*)>/g, "$1").replace(/[*_]/g, ""),
      reactions: m.reactions ? [{ name: "+1", count: m.reactions }] : [],
      files: [],
      reply_count: isHead ? replies.length : null,
      reply_users_count: null,
      latest_reply: replies.length ? micros(Math.max(...replies.map((r) => r.at))) : null,
      edited_ts: null,
      deleted: false,
      ingestion_time: 0n,
      source_file_path: "raw/x.json",
      sha256: "0",
      year: Number(d.slice(0, 4)),
      month: Number(d.slice(5, 7)),
      day: Number(d.slice(8, 10)),
    };
  });
  for (const [day, rows] of byDay(bronze, (r) => r.ts)) {
    await lake.write(partitionKey("bronze", course, day), writeParquet(BRONZE_COLUMNS, rows));
  }
  const gold = options.questions.map((q) => {
    const d = dayOfMicros(micros(q.at));
    const row: GoldRow = {
      course_id: course,
      message_id: messageId(course, q.at),
      ts: micros(q.at),
      thread_ts: null,
      is_thread_head: true,
      text: q.text,
      is_faq: q.isFaq ?? true,
      score: 0.8,
      decision_source: q.decisionSource ?? "model",
      threshold_low: 0.45,
      threshold_high: 0.65,
      classifier_name: "test",
      classifier_version: "head-v1",
      llm_model: null,
      llm_confidence: null,
      llm_status: q.llmStatus ?? "not_needed",
      llm_reason: null,
      canonical_id: q.group ?? null,
      canonical_text: q.groupText ?? null,
      embedding_model: "m",
      embedding_version: "v",
      labeled_at: 0n,
      year: Number(d.slice(0, 4)),
      month: Number(d.slice(5, 7)),
      day: Number(d.slice(8, 10)),
      faq_matches: q.faqMatch ? [{ faq_id: q.faqMatch, score: 0.9 }] : [],
      faq_match_id: q.faqMatch ?? null,
      faq_match_score: q.faqMatch ? 0.9 : null,
      faq_status: q.faqStatus ?? null,
    };
    return row;
  });
  for (const [day, rows] of byDay(gold, (r) => r.ts)) {
    await lake.write(partitionKey("gold", course, day), writeParquet(GOLD_FAQ_COLUMNS, rows));
  }
}

/** Writes today's gold, without the FAQ columns, for the defensive readers. */
export async function writeOldGold(
  lake: Lake,
  course: string,
  day: string,
  rows: Omit<GoldRow, "faq_matches" | "faq_match_id" | "faq_match_score" | "faq_status">[],
): Promise<void> {
  await lake.write(partitionKey("gold", course, day), writeParquet(GOLD_OLD_COLUMNS, rows));
}

/** Writes the silver groups (member_ids is a list<string>, built with Arrow). */
export async function writeClusters(lake: Lake, course: string, groups: Group[], sizes?: Record<string, number>) {
  const seen = (g: Group, pick: (a: bigint[]) => bigint | undefined) => {
    const ts = g.members.map((m) => {
      const [s, f] = m.split(":")[1]!.split(".");
      return BigInt(s!) * 1_000_000n + BigInt(f!.padEnd(6, "0"));
    }).sort((a, b) => (a < b ? -1 : 1));
    return pick(ts) ?? 0n;
  };
  const table = new arrow.Table({
    id: arrow.vectorFromArray(groups.map((g) => g.id), new arrow.Utf8()),
    canonical_text: arrow.vectorFromArray(groups.map((g) => g.text), new arrow.Utf8()),
    size: arrow.vectorFromArray(groups.map((g) => sizes?.[g.id] ?? g.members.length), new arrow.Int32()),
    first_seen: arrow.vectorFromArray(
      groups.map((g) => Number(seen(g, (a) => a[0]) / 1000n)),
      new arrow.TimestampMillisecond("UTC"),
    ),
    last_seen: arrow.vectorFromArray(
      groups.map((g) => Number(seen(g, (a) => a[a.length - 1]) / 1000n)),
      new arrow.TimestampMillisecond("UTC"),
    ),
    faq_match_id: arrow.vectorFromArray(groups.map((g) => g.faqMatch), new arrow.Utf8()),
    member_ids: arrow.vectorFromArray(
      groups.map((g) => g.members),
      new arrow.List(new arrow.Field("element", new arrow.Utf8(), true)),
    ),
  });
  const bytes = pq.writeParquet(pq.Table.fromIPCStream(arrow.tableToIPC(table, "stream")));
  await lake.write(clustersKey(course), bytes);
}

/** Writes the course's FAQ reference table. */
export async function writeFaq(lake: Lake, course: string, rows: FaqRow[]): Promise<void> {
  await lake.write(
    faqKey(course),
    writeParquet(
      FAQ_COLUMNS,
      rows.map((r) => ({
        id: r.id,
        section: r.section,
        question: r.question,
        answer_plain: r.answer,
        source_path: `${r.section}/${String(r.order).padStart(3, "0")}_${r.id}_x.md`,
        sha256: "0",
      })),
    ),
  );
}

/** Writes an audit file. */
export async function writeAudit(lake: Lake, day: string, courses: Record<string, Record<string, number>>) {
  await lake.write(`_state/audit/${day}.json`, new TextEncoder().encode(JSON.stringify({ courses })));
}

/** The standard lake: "ml" with an FAQ, groups, replies and an audit over 8 weeks; "nofaq" without an FAQ;
 * "quiet" with messages but no question in the window; "empty" with nothing at all. */
export const WINDOW = { since: "2024-01-01", until: "2024-02-25" };
export const STAFF = "U0STAFF";

export async function standardLake(lake: Lake): Promise<{ weeks: number; mlQuestions: number }> {
  const questions: Question[] = [];
  const others: Msg[] = [];
  const groups: Record<string, Group> = {
    docker: {
      id: "g-docker",
      text: "docker compose up fails with permission denied on the postgres volume",
      faqMatch: null,
      members: [],
    },
    join: { id: "g-join", text: "Can I still join the course late?", faqMatch: "aaaaaaaaa1", members: [] },
    hw: { id: "g-hw", text: "Where do I submit the homework <b>form</b>?", faqMatch: null, members: [] },
  };
  let n = 0;
  for (let w = 0; w < 8; w++) {
    const monday = new Date(Date.UTC(2024, 0, 1 + 7 * w)).toISOString().slice(0, 10);
    const count = (w % 3) + 2;
    for (let i = 0; i < count; i++) {
      const t = at(monday, 1 + 5 * i);
      const key = (["docker", "join", "hw"] as const)[(w + i) % 3];
      const g = groups[key!]!;
      const asker = `U${String(++n).padStart(4, "0")}`;
      g.members.push(messageId("ml", t));
      questions.push({
        at: t,
        user: asker,
        text: key === "docker"
          ? `Hi all, docker compose up gives permission denied on the postgres volume (week ${w})?`
          : key === "join"
          ? `Hello! Can I still join the course if I start late? (${w})`
          : `Where do I submit the homework form for week ${w}?`,
        group: g.id,
        groupText: g.text,
        faqMatch: g.faqMatch,
        faqStatus: g.faqMatch ? "covered" : "uncovered",
        llmStatus: i === 0 ? "answered" : i === 1 ? "cached" : "not_needed",
        decisionSource: i < 2 ? "llm" : "model",
      });
      // Every question but the last of each week gets replies: a student after 2 h, and staff after 3 h
      // for docker questions.
      if (i < count - 1) {
        others.push({
          at: t + 2 * 3600,
          user: "U9STUDENT",
          text: "same problem here, did you find anything?",
          thread: t,
        });
        if (key === "docker") {
          others.push({
            at: t + 3 * 3600,
            user: STAFF,
            text:
              "<@U0001> run *`sudo chown -R 999 ./data`* then see <https://docs.docker.com/compose/|the docs> &amp; retry",
            thread: t,
            reactions: 1,
          });
        }
        others.push({
          at: t + 4 * 3600,
          user: "U9HELPER",
          text: "Try restarting docker, that fixed it for me",
          thread: t,
          reactions: 5,
        });
      }
      others.push({ at: t + 600, user: "U8CHAT", text: "good morning everyone" });
      others.push({ at: t + 700, user: "UBOT", text: "joined", subtype: "channel_join" });
    }
  }
  await writeCourse(lake, "ml", { channelId: "C0288NJ5XSA", questions, others });
  await writeClusters(lake, "ml", Object.values(groups), { "g-docker": 40 });
  await writeFaq(lake, "ml", [
    {
      id: "aaaaaaaaa1",
      section: "general",
      question: "Can I join the course after it started?",
      answer: "Yes, you can join late.",
      order: 1,
    },
    { id: "aaaaaaaaa2", section: "general", question: "Where are the course videos?", answer: "On YouTube.", order: 2 },
    {
      id: "bbbbbbbbb1",
      section: "module-1",
      question: "Docker: permission denied on volume",
      answer: "Fix docker volume permissions with chown on the postgres data folder.",
      order: 7,
    },
  ]);
  await writeAudit(lake, "2024-02-01", {
    ml: { sample: 120, tp: 50, fp: 10, fn: 8, tn: 52, precision: 0.83, recall: 0.86, f1: 0.85 },
  });
  await writeAudit(lake, "2024-01-01", { ml: { sample: 100, precision: 0.5, recall: 0.5, f1: 0.5 } });
  // Not an audit day file: ignored.
  await lake.write("_state/audit/samples/2024-03-01.json", new TextEncoder().encode('{"courses":{"ml":{"f1":0.1}}}'));

  // nofaq: three weeks of questions, grouped, no FAQ imported.
  const nq: Question[] = [];
  const nmembers: string[] = [];
  for (let w = 0; w < 3; w++) {
    const t = at(new Date(Date.UTC(2024, 0, 8 + 7 * w)).toISOString().slice(0, 10), 10);
    nq.push({
      at: t,
      user: `UN${w}`,
      text: `How do I get the certificate? (${w})`,
      group: "n-cert",
      groupText: "How do I get the certificate?",
    });
    nmembers.push(messageId("nofaq", t));
  }
  await writeCourse(lake, "nofaq", {
    questions: nq,
    others: [{
      at: nq[0]!.at + 3600,
      user: "UX",
      text: "You get it after the project, see the course page.",
      thread: nq[0]!.at,
      reactions: 2,
    }],
  });
  await writeClusters(lake, "nofaq", [{
    id: "n-cert",
    text: "How do I get the certificate?",
    faqMatch: null,
    members: nmembers,
  }]);

  // quiet: chat but no question in the window.
  await writeCourse(lake, "quiet", {
    questions: [],
    others: [{ at: at("2024-01-10"), user: "UQ", text: "hello" }, { at: at("2024-02-20"), user: "UQ", text: "bye" }],
  });
  return { weeks: 8, mlQuestions: questions.length };
}
