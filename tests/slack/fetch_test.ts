// deno task fetch end to end: a Web API stand-in on loopback, then ingest, then the lake checked object by object.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { capture, course, dec, readBronze, snapshot, withEnv } from "../_helpers.ts";
import { main as fetchMain } from "../../ingest/fetch.ts";
import { main as ingestMain } from "../../ingest/ingest.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { type Lake, MemoryLake, openLake } from "../../lib/lake.ts";
import { fetchStateKey } from "../../lib/layout.ts";
import { explainSlackError, fetchCourses } from "../../lib/slack/fetch.ts";
import { readNames, storeNames } from "../../lib/slack/names.ts";
import { formatFetchProgress, formatFetchSummary } from "../../lib/slack/summary.ts";
import { SlackApiError, SlackReader } from "../../lib/slack/web_api.ts";
import { type FakeChannel, startFakeSlack } from "./fake_slack.ts";

/** The lake without its lease objects, which every run moves on (see lib/lease.ts). */
async function dataSnapshot(lake: Lake): Promise<Map<string, Uint8Array>> {
  const all = await snapshot(lake);
  for (const k of [...all.keys()]) if (/^_state\/[^/]+\/leases\//.test(k)) all.delete(k);
  return all;
}

const TOKEN = "xoxb-4242-1717-fetchtestsecret";
const CH = "C0FETCH001";
const BASE = 1709287200; // 2024-03-01T10:00:00Z
const T = (day: number, s = 0) => `${BASE + day * 86400 + s}.000${String(100 + day).padStart(3, "0")}`;
type Msg = Record<string, unknown>;

const USERS = [
  { id: "U01AAAAAA", name: "ann", real_name: "Ann A", profile: { display_name: "Ann", email: "ann@x.org" } },
  { id: "U01BBBBBB", name: "bee", real_name: "Bee B", profile: { display_name: "" } },
];

/** The channel as the first run sees it: 13 messages, threads, a broadcast, a bot, a tombstone. */
function channel(): FakeChannel {
  const m = (ts: string, extra: Msg = {}): Msg => ({
    type: "message",
    ts,
    user: "U01AAAAAA",
    text: `m ${ts}`,
    ...extra,
  });
  return {
    id: CH,
    name: "course-fetch",
    messages: [
      m(T(0), { thread_ts: T(0), reply_count: 1, latest_reply: T(8), text: "an old thread" }),
      m(T(8), { thread_ts: T(0), user: "U01BBBBBB", text: "a reply 8 days later" }),
      m(T(0, 100), { text: "hi <@u01bbbbbb> and <@U01AAAAAA>, see <#C0FETCH001> and <@U0NOBODY1>" }),
      m(T(5), { thread_ts: T(5), reply_count: 2, latest_reply: T(5, 200), text: "how do I install it?" }),
      m(T(5, 100), { thread_ts: T(5), user: "U01BBBBBB", text: "pip install" }),
      m(T(5, 200), { thread_ts: T(5), subtype: "thread_broadcast", text: "broadcast: solved" }),
      m(T(6), { subtype: "bot_message", bot_id: "B0BOT0001", username: "helper-bot", user: undefined, text: "beep" }),
      m(T(7), {
        subtype: "tombstone",
        user: "USLACKBOT",
        text: "This message was deleted.",
        thread_ts: T(7),
        reply_count: 1,
        latest_reply: T(7, 50),
      }),
      m(T(7, 50), { thread_ts: T(7), text: "a reply to a deleted message" }),
      m(T(9), { text: "first draft" }),
      m(T(10)),
      m(T(10, 60)),
      m(T(10, 120)),
    ],
  };
}

/** What changes before a later run: an edit, a late reply to the 5-day-old thread, one to the old thread, a new message. */
function laterChanges(ch: FakeChannel): void {
  const find = (ts: string) => ch.messages.find((x) => x.ts === ts)!;
  Object.assign(find(T(9)), { text: "final text", edited: { user: "U01AAAAAA", ts: T(11, 30) } });
  Object.assign(find(T(5)), { reply_count: 3, latest_reply: T(11, 10) });
  Object.assign(find(T(0)), { reply_count: 2, latest_reply: T(11, 20) });
  ch.messages.push(
    { type: "message", ts: T(11, 10), thread_ts: T(5), user: "U01BBBBBB", text: "late reply" },
    { type: "message", ts: T(11, 20), thread_ts: T(0), user: "U01BBBBBB", text: "old thread lives" },
    { type: "message", ts: T(11, 40), user: "U01AAAAAA", text: "new day" },
  );
}

async function setup(courses: string) {
  const dir = await Deno.makeTempDir({ prefix: "fetch-test-" });
  await Deno.writeTextFile(`${dir}/courses.yml`, courses);
  return { dir, args: ["--lake", `${dir}/lake`, "--config", `${dir}/courses.yml`] };
}

async function runFetch(url: string, args: string[], token = TOKEN) {
  return await withEnv({ SLACK_BOT_TOKEN: token, SLACK_API_URL: url }, () => capture(() => fetchMain(args)));
}

async function everyObject(lake: Lake): Promise<string> {
  return [...(await snapshot(lake)).entries()].map(([k, v]) => `${k}\n${dec(v)}`).join("\n");
}

Deno.test("fetch then ingest: every message once, a second fetch writes nothing, later edits and late replies caught, no token anywhere", async (t) => {
  const ch = channel();
  const fake = startFakeSlack({ token: TOKEN, channels: [ch], users: USERS, pageSize: 3, rateLimitAt: [4] });
  const { dir, args } = await setup(`courses:\n  - id: ml\n    channel_id: ${CH}\n`);
  const lake = await openLake(`${dir}/lake`);
  const logs: string[] = [];
  try {
    await t.step("the first fetch reads every page, waits out the 429, and files every message", async () => {
      const r = await runFetch(fake.url, args);
      logs.push(r.out, r.err);
      assertEquals(r.code, 0, r.err);
      assertEquals(fake.rateLimited, 1);
      ok(/^ml\s+C0FETCH001\s+ok\s+\d+\s+\d+\s+13\s+0\s+\d+\s+3\s+\d+\s+1$/m.test(r.out), r.out);
      const state = JSON.parse(dec(await lake.read(fetchStateKey("ml"))));
      assertEquals(state.high_water_ts, T(10, 120));
      // The old thread's last reply is within the lookback, so it stays active.
      assertEquals(Object.keys(state.threads).sort(), [T(0), T(5), T(7)].sort());
    });
    await t.step("ingest puts each message in bronze once, broadcast included, names rendered", async () => {
      const r = await capture(() => ingestMain([...args, "--workers", "1"]));
      logs.push(r.out, r.err);
      assertEquals(r.code, 0, r.err);
      const rows = await readBronze(lake, "ml");
      assertEquals(rows.map((x) => x.ts_raw).sort(), ch.messages.map((m) => m.ts as string).sort());
      assertEquals(new Set(rows.map((x) => x.message_id)).size, rows.length);
      const by = new Map(rows.map((x) => [x.ts_raw, x]));
      assertEquals(by.get(T(0, 100))!.text_plain, "hi @Bee B and @Ann, see #course-fetch and @U0NOBODY1");
      assertEquals(by.get(T(0, 100))!.user_name, "Ann");
      assertEquals([by.get(T(6))!.bot_id, by.get(T(6))!.user_name], ["B0BOT0001", "helper-bot"]);
      assertEquals([by.get(T(7))!.deleted, by.get(T(7))!.subtype], [true, "tombstone"]);
      assertEquals(by.get(T(5, 200))!.subtype, "thread_broadcast");
    });
    await t.step("a second fetch leaves every object of the lake byte-identical", async () => {
      const before = await dataSnapshot(lake);
      const r = await runFetch(fake.url, [...args, "--log-format", "json"]);
      logs.push(r.out, r.err);
      assertEquals(r.code, 0, r.err);
      const summary = r.out.split("\n").map((l) => JSON.parse(l)).find((e) => e.event === "summary");
      assertEquals(summary.courses[0].rawFilesWritten, 0);
      assertEquals(summary.courses[0].added + summary.courses[0].updated, 0);
      assertEquals(summary.names.written, []);
      const after = await dataSnapshot(lake);
      assertEquals([...after.keys()], [...before.keys()]);
      for (const [k, v] of before) assertEquals(after.get(k), v, k);
    });
    await t.step("a later run catches the edit, the late replies and the new message", async () => {
      laterChanges(ch);
      const r = await runFetch(fake.url, args);
      logs.push(r.out, r.err);
      assertEquals(r.code, 0, r.err);
      const i = await capture(() => ingestMain([...args, "--workers", "1"]));
      assertEquals(i.code, 0, i.err);
      const rows = await readBronze(lake, "ml");
      assertEquals(rows.length, 16);
      assertEquals(rows.map((x) => x.ts_raw).sort(), ch.messages.map((m) => m.ts as string).sort());
      const by = new Map(rows.map((x) => [x.ts_raw, x]));
      assertEquals(by.get(T(9))!.text, "final text");
      ok(by.get(T(9))!.edited_ts !== null);
      assertEquals(by.get(T(11, 10))!.text, "late reply");
      assertEquals(by.get(T(11, 20))!.text, "old thread lives");
      assertEquals(by.get(T(5))!.reply_count, 3);
    });
    await t.step("the token is in no object of the lake and in no output", async () => {
      const all = await everyObject(lake);
      ok(all.length > 1000);
      ok(!all.includes(TOKEN) && !all.includes("fetchtestsecret"));
      ok(!logs.join("\n").includes(TOKEN));
      // Names keep no e-mail.
      ok(!all.includes("ann@x.org"));
    });
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetch with a wrong token says which course and channel, and what to do, and leaks nothing", async () => {
  const fake = startFakeSlack({ token: TOKEN, channels: [channel()], users: USERS });
  const { dir, args } = await setup(
    `courses:\n  - id: ml\n    channel_id: ${CH}\n  - id: de\n    channel_id: C0FETCH002\n`,
  );
  try {
    const wrong = "xoxb-0000-wrong-token-value";
    const r = await runFetch(fake.url, args, wrong);
    assertEquals(r.code, 1);
    ok(r.err.includes("Course ml, channel C0FETCH001: Slack refused the token (invalid_auth)"), r.err);
    ok(r.err.includes("Course de, channel C0FETCH002"), r.err);
    ok(r.err.includes("SLACK_BOT_TOKEN"));
    ok(!(r.out + r.err).includes(wrong));
    const lake = await openLake(`${dir}/lake`);
    assertEquals([...(await dataSnapshot(lake)).keys()], [], "nothing written");
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetch goes on past an unknown channel and a course without channel_id, and exits 1", async () => {
  const ch = channel();
  const fake = startFakeSlack({ token: TOKEN, channels: [ch], users: USERS, pageSize: 50 });
  const { dir, args } = await setup(
    `courses:\n  - id: gone\n    channel_id: C0UNKNOWN1\n  - id: nochan\n  - id: ml\n    channel_id: ${CH}\n`,
  );
  try {
    const r = await runFetch(fake.url, args);
    assertEquals(r.code, 1);
    ok(r.err.includes("Course gone, channel C0UNKNOWN1: Slack does not know the channel (channel_not_found)"), r.err);
    ok(r.out.includes("Course nochan has no channel_id in courses.yml, so it was not fetched"), r.out);
    ok(/^nochan\s+-\s+skipped/m.test(r.out), r.out);
    const lake = await openLake(`${dir}/lake`);
    assertEquals(await lake.stat(fetchStateKey("gone")), undefined);
    await ingest(lake, { courses: [course("ml")] });
    assertEquals((await readBronze(lake, "ml")).length, ch.messages.length, "the good course was fetched");
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fetch without SLACK_BOT_TOKEN is a usage error", async () => {
  const { dir, args } = await setup(`courses:\n  - id: ml\n    channel_id: ${CH}\n`);
  try {
    const r = await withEnv({ SLACK_BOT_TOKEN: "" }, () => capture(() => fetchMain(args)));
    assertEquals(r.code, 2);
    ok(r.err.includes("SLACK_BOT_TOKEN is not set"), r.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that goes away mid-pagination fails the course clearly; the next run completes it, nothing twice", async () => {
  const lake = new MemoryLake();
  const opts = { courses: [course("ml", { channelId: CH })] };
  const reader = (url: string) =>
    new SlackReader({ token: TOKEN, apiUrl: url, pageSize: 3, retry: { retries: 1, minTimeout: 10, maxTimeout: 20 } });
  const first = startFakeSlack({ token: TOKEN, channels: [channel()], users: USERS, dieAt: 3 });
  const s1 = await fetchCourses(reader(first.url), lake, opts);
  await first.close();
  const c1 = s1.courses[0]!;
  assertEquals([c1.status, c1.errorCode], ["failed", "network"]);
  ok(c1.note!.startsWith("Course ml, channel C0FETCH001: "), c1.note!);
  ok(c1.note!.includes("check the network and SLACK_API_URL"), c1.note!);
  assertEquals(c1.added, 6, "the two pages received are kept");
  assertEquals(await lake.stat(fetchStateKey("ml")), undefined, "the state did not move");

  const second = startFakeSlack({ token: TOKEN, channels: [channel()], users: USERS });
  try {
    const s2 = await fetchCourses(reader(second.url), lake, opts);
    const c2 = s2.courses[0]!;
    assertEquals([c2.status, c2.added], ["ok", 7]);
    ok(await lake.stat(fetchStateKey("ml")));
    await ingest(lake, { courses: [course("ml")] });
    const rows = await readBronze(lake, "ml");
    assertEquals(rows.length, 13);
    assertEquals(new Set(rows.map((r) => r.ts_raw)).size, 13);
  } finally {
    await second.close();
  }
});

Deno.test("explainSlackError() names the course and the channel and says what to do", () => {
  const c = course("ml", { channelId: CH });
  const cases: [string, string | null, string][] = [
    ["invalid_auth", null, "set SLACK_BOT_TOKEN"],
    ["not_in_channel", null, "/invite @your-bot"],
    ["channel_not_found", null, "check channel_id in courses.yml"],
    ["missing_scope", "groups:history", "lacks the scope groups:history"],
    ["network", null, "check the network and SLACK_API_URL"],
  ];
  for (const [code, needed, hint] of cases) {
    const text = explainSlackError(new SlackApiError("conversations.history", code, `x ${code}`, needed), c);
    ok(text.startsWith(`Course ml, channel ${CH}: `), text);
    ok(text.includes(hint), text);
  }
  ok(explainSlackError(new SlackApiError("m", "missing_scope", "x"), c).includes("channels:history"));
});

Deno.test("names that cannot be read are a warning; the messages still land and the old names stay", async () => {
  const lake = new MemoryLake();
  await storeNames(lake, { users: USERS });
  const fake = startFakeSlack({
    token: TOKEN,
    channels: [channel()],
    users: USERS,
    missingScope: { "users.list": "users:read" },
    unknownMethods: ["conversations.list"],
  });
  try {
    const reader = new SlackReader({ token: TOKEN, apiUrl: fake.url, retry: { retries: 0 } });
    const s = await fetchCourses(reader, lake, { courses: [course("ml", { channelId: CH })] });
    assertEquals([s.courses[0]!.status, s.courses[0]!.added], ["ok", 13]);
    ok(s.names.warning!.includes("users.list: missing_scope (grant users:read)"), s.names.warning!);
    ok(s.names.warning!.includes("conversations.list: unknown_method"), s.names.warning!);
    assertEquals((await readNames(lake)).users.get("U01AAAAAA"), "Ann");
    ok(formatFetchSummary(s).includes("Warning: Names for mentions were not all refreshed"));
  } finally {
    await fake.close();
  }
});

Deno.test("formatFetchProgress() says what a course is doing", () => {
  assertEquals(formatFetchProgress({ courseId: "ml", phase: "history", done: 3, total: null }), "ml: history page 3");
  assertEquals(formatFetchProgress({ courseId: "ml", phase: "replies", done: 2, total: 9 }), "ml: thread 2/9");
});
