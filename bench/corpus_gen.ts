/**
 * A realistic, deterministic synthetic Slack corpus for benchmarks: threads
 * (some answered days later), replies, broadcasts, mrkdwn, reactions, files with
 * tokens in their URLs, joins and bots, and a mix of questions and chatter.
 *
 * @module
 */

import { addDays, type Day } from "../lib/layout.ts";

/** Options of {@linkcode generateDay}. */
export interface CorpusOptions {
  /** Messages per day file. */
  perDay: number;
  /** The seed; the same seed gives the same corpus. */
  seed: number;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QUESTIONS = [
  "How do I install Docker on Windows 10 Home for week {n}?",
  "I get this error when running docker compose up: port 5432 is already allocated",
  "Is it too late to join the course? I just found out about it",
  "Can't connect to postgres from pgcli, connection refused on localhost:{n}",
  "Where do I submit homework {n}? The form link in the repo is broken",
  "ModuleNotFoundError: No module named 'pandas' inside the container, any idea?",
  "Does anyone know if the deadline for the project is extended?",
  "Terraform apply fails with Error 403: permission denied on bucket dtc-data-lake-{n}",
  "How many points is homework {n} worth on the leaderboard?",
  "Spark job dies with java.lang.OutOfMemoryError: Java heap space, how much memory do I need?",
  "please help, the kernel died when I load the yellow taxi data for {n}",
  "What is the difference between the green and yellow taxi datasets?",
];
const CHATTER = [
  "Thanks everyone for the great session today! :tada:",
  "Hi all, I'm from Lisbon and excited to be here",
  "Here are my notes for week {n}: <https://example.org/notes/{n}|notes>",
  "Congrats to everyone who finished the project :clap:",
  "Sharing a blog post I wrote about week {n} <https://blog.example.org/w{n}>",
  "Good morning from Nairobi! :sunny:",
];
const REPLIES = [
  "Try restarting the docker daemon and run it again",
  "You need to `pip install pandas` in the image, see <https://docs.docker.com|the docs>",
  "Same here &amp; it worked after I changed the port to {n}",
  "<@U0{u}> check the FAQ doc, it is answered there",
  "It's in the course repo under week_{n}",
  "```\nTraceback (most recent call last):\n  File \"ingest.py\", line {n}\nKeyError: 'tpep_pickup_datetime'\n```",
];

function fill(template: string, r: () => number): string {
  return template.replaceAll("{n}", String(1 + Math.floor(r() * 9))).replaceAll(
    "{u}",
    String(1000000 + Math.floor(r() * 8000000)),
  );
}

/**
 * The messages of one course-day: top-level messages, replies to threads of
 * the same and the two previous days, broadcasts, joins and bots.
 *
 * @param courseIndex Which course, for the seed.
 * @param day The UTC day.
 * @param options Size and seed.
 * @returns The day's messages, in ts order, as a Slack export day file holds them.
 */
export function generateDay(courseIndex: number, day: Day, options: CorpusOptions): Record<string, unknown>[] {
  const dayStart = Date.parse(`${day}T00:00:00Z`) / 1000;
  const r = rng(options.seed * 1_000_003 + courseIndex * 7919 + dayStart / 86400);
  const out: Record<string, unknown>[] = [];
  const step = 86400 / options.perDay;
  const heads: string[] = [];
  // Threads of the two previous days get late replies.
  const previousHeads = (d: number) => {
    const rr = rng(options.seed * 1_000_003 + courseIndex * 7919 + (dayStart / 86400 - d));
    return Array.from({ length: 3 }, () => {
      const sec = Math.floor(rr() * 86400);
      return `${dayStart - d * 86400 + sec}.${String(Math.floor(rr() * 1e6)).padStart(6, "0")}`;
    });
  };
  const lateHeads = [...previousHeads(1), ...previousHeads(2)];
  for (let i = 0; i < options.perDay; i++) {
    const sec = Math.floor(dayStart + i * step + r() * step * 0.9);
    const ts = `${sec}.${String(Math.floor(r() * 1e6)).padStart(6, "0")}`;
    const user = `U0${1000000 + Math.floor(r() * 8000000)}`;
    const kind = r();
    const hex = () => Math.floor(r() * 0x100000000).toString(16).padStart(8, "0");
    const msg: Record<string, unknown> = { type: "message", ts, user, client_msg_id: `${hex()}-${hex()}` };
    if (kind < 0.02) {
      Object.assign(msg, { subtype: "channel_join", text: `<@${user}> has joined the channel` });
      delete msg.client_msg_id;
    } else if (kind < 0.04) {
      Object.assign(msg, {
        subtype: "bot_message",
        bot_id: "B0REMIND01",
        text: "Reminder: office hours today at 17:00 UTC",
      });
      delete msg.user;
      delete msg.client_msg_id;
    } else if (kind < 0.34 || heads.length === 0) {
      msg.text = fill(
        kind < 0.26 ? QUESTIONS[Math.floor(r() * QUESTIONS.length)]! : CHATTER[Math.floor(r() * CHATTER.length)]!,
        r,
      );
      heads.push(ts);
      if (r() < 0.5) {
        Object.assign(msg, { thread_ts: ts, reply_count: 2, reply_users_count: 2, latest_reply: ts });
      }
      if (r() < 0.3) msg.reactions = [{ name: "+1", users: [user], count: 1 + Math.floor(r() * 5) }];
      if (r() < 0.05) {
        msg.files = [{
          id: `F0${Math.floor(r() * 1e8)}`,
          name: "error.png",
          mimetype: "image/png",
          size: Math.floor(r() * 500000),
          url_private: `https://files.slack.com/files-pri/T0-F0/error.png?t=xoxe-${Math.floor(r() * 1e9)}-abc`,
        }];
      }
      if (r() < 0.05) msg.edited = { user, ts: `${sec + 60}.000000` };
    } else {
      const useLate = r() < 0.1;
      const pool = useLate ? lateHeads : heads;
      const parent = pool[Math.floor(r() * pool.length)]!;
      Object.assign(msg, {
        thread_ts: parent,
        parent_user_id: "U01PARENT1",
        text: fill(REPLIES[Math.floor(r() * REPLIES.length)]!, r),
      });
      if (r() < 0.02) msg.subtype = "thread_broadcast";
    }
    out.push(msg);
  }
  return out;
}

/**
 * The days of a corpus, oldest first, ending the day before `end`.
 *
 * @param days How many.
 * @param end The day after the last.
 * @returns The days.
 */
export function corpusDays(days: number, end: Day): Day[] {
  return Array.from({ length: days }, (_, i) => addDays(end, i - days));
}

/**
 * The course ids of a benchmark corpus.
 *
 * @param courses How many.
 * @returns `bench-1`, `bench-2`, …
 */
export function corpusCourses(courses: number): string[] {
  return Array.from({ length: courses }, (_, i) => `bench-${i + 1}`);
}

/**
 * A `courses.yml` for a benchmark corpus.
 *
 * @param courses How many.
 * @returns The file's text.
 */
export function corpusConfig(courses: number): string {
  return `courses:\n${corpusCourses(courses).map((id) => `  - id: ${id}\n`).join("")}`;
}
