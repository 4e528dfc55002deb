import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects } from "../_helpers.ts";
import { type CallStats, scrubSecret, SlackApiError, SlackReader } from "../../lib/slack/web_api.ts";
import { startFakeSlack } from "./fake_slack.ts";

const TOKEN = "xoxb-111-222-readersecret";
const FAST = { retries: 1, minTimeout: 10, maxTimeout: 20 };

function messages(n: number, base = 1709287200) {
  return Array.from(
    { length: n },
    (_, i) => ({ type: "message", ts: `${base + i * 60}.000${100 + i}`, text: `m${i}` }),
  );
}

function reader(url: string, logs: string[] = [], token = TOKEN) {
  return new SlackReader({ token, apiUrl: url, retry: FAST, pageSize: 2, onLog: (l, m) => logs.push(`${l} ${m}`) });
}

async function all(gen: AsyncGenerator<unknown[]>): Promise<unknown[][]> {
  const pages: unknown[][] = [];
  for await (const p of gen) pages.push(p);
  return pages;
}

Deno.test("SlackReader reads every page by cursor, newest first, and counts calls and pages", async () => {
  const fake = startFakeSlack({ token: TOKEN, channels: [{ id: "C0AAAAAA1", name: "x", messages: messages(7) }] });
  try {
    const r = reader(fake.url);
    const stats: CallStats = { apiCalls: 0, pages: 0, rateLimitWaits: 0 };
    r.countInto(stats);
    const pages = await all(r.history("C0AAAAAA1"));
    assertEquals(pages.map((p) => p.length), [2, 2, 2, 1]);
    assertEquals(pages.flat().map((m) => (m as { text: string }).text), ["m6", "m5", "m4", "m3", "m2", "m1", "m0"]);
    assertEquals(stats, { apiCalls: 4, pages: 4, rateLimitWaits: 0 });
    // Pages after the first carry the cursor; every request asks for the page size.
    ok(fake.requests.slice(1).every((q) => q.params.cursor));
    ok(fake.requests.every((q) => q.params.limit === "2"));
  } finally {
    await fake.close();
  }
});

Deno.test("SlackReader waits out an HTTP 429 for its Retry-After and goes on", async () => {
  const fake = startFakeSlack({
    token: TOKEN,
    channels: [{ id: "C0AAAAAA1", name: "x", messages: messages(5) }],
    rateLimitAt: [2],
  });
  try {
    const r = reader(fake.url);
    const stats: CallStats = { apiCalls: 0, pages: 0, rateLimitWaits: 0 };
    r.countInto(stats);
    const got = (await all(r.history("C0AAAAAA1"))).flat();
    assertEquals(got.length, 5);
    assertEquals(stats, { apiCalls: 4, pages: 3, rateLimitWaits: 1 });
    assertEquals(fake.rateLimited, 1);
  } finally {
    await fake.close();
  }
});

Deno.test("SlackReader waits out an HTTP 429 that has no Retry-After", async () => {
  const fake = startFakeSlack({
    token: TOKEN,
    channels: [{ id: "C0AAAAAA1", name: "x", messages: messages(3) }],
    bareRateLimitAt: [1],
  });
  try {
    const slept: number[] = [];
    const r = new SlackReader({
      token: TOKEN,
      apiUrl: fake.url,
      retry: FAST,
      pageSize: 2,
      sleep: (ms) => Promise.resolve(void slept.push(ms)),
    });
    const stats: CallStats = { apiCalls: 0, pages: 0, rateLimitWaits: 0 };
    r.countInto(stats);
    assertEquals((await all(r.history("C0AAAAAA1"))).flat().length, 3);
    assertEquals([stats.rateLimitWaits, slept], [1, [1000]]);
  } finally {
    await fake.close();
  }
});

Deno.test("SlackReader turns Slack's refusals into SlackApiError with the code, and no token", async (t) => {
  const fake = startFakeSlack({
    token: TOKEN,
    channels: [{ id: "C0AAAAAA1", name: "x", messages: messages(1) }],
    notInChannel: ["C0AAAAAA1"],
    missingScope: { "users.list": "users:read" },
    unknownMethods: ["conversations.list"],
  });
  try {
    await t.step("a wrong token: invalid_auth, not retried", async () => {
      const wrong = "xoxb-999-wrong-token";
      const logs: string[] = [];
      const e = await assertRejects(
        () => all(reader(fake.url, logs, wrong).history("C0AAAAAA1")),
        SlackApiError,
        "invalid_auth",
      ) as SlackApiError;
      assertEquals([e.code, e.method], ["invalid_auth", "conversations.history"]);
      ok(!e.message.includes(wrong) && !logs.join("").includes(wrong));
    });
    await t.step("an unknown channel: channel_not_found", async () => {
      const e = await assertRejects(
        () => all(reader(fake.url).history("C0NOPE001")),
        SlackApiError,
        "channel_not_found",
      );
      assertEquals((e as SlackApiError).code, "channel_not_found");
    });
    await t.step("not a member: not_in_channel", async () => {
      await assertRejects(() => all(reader(fake.url).history("C0AAAAAA1")), SlackApiError, "not_in_channel");
    });
    await t.step("missing_scope names the scope needed", async () => {
      const e = await assertRejects(() => reader(fake.url).users(), SlackApiError, "missing_scope") as SlackApiError;
      assertEquals(e.needed, "users:read");
    });
    await t.step("a method the server does not know (HTTP 404) fails at once as unknown_method", async () => {
      const before = fake.requests.length;
      const e = await assertRejects(() => reader(fake.url).channels(), SlackApiError, "unknown_method");
      assertEquals((e as SlackApiError).code, "unknown_method");
      assertEquals(fake.requests.length - before, 1, "no retries on a 404");
    });
  } finally {
    await fake.close();
  }
});

Deno.test("SlackReader gives a network error after the retries when nothing listens", async () => {
  const fake = startFakeSlack({ token: TOKEN, channels: [] });
  const url = fake.url;
  await fake.close();
  const r = reader(url);
  const stats: CallStats = { apiCalls: 0, pages: 0, rateLimitWaits: 0 };
  r.countInto(stats);
  const e = await assertRejects(() => all(r.history("C0AAAAAA1")), SlackApiError, "after the retries") as SlackApiError;
  assertEquals(e.code, "network");
  assertEquals(stats.apiCalls, 2, "one try and one retry");
  ok(!e.message.includes(TOKEN));
});

Deno.test("scrubSecret() removes the token in use, and anything shaped like a Slack token", () => {
  assertEquals(scrubSecret("a plain-secret-value b", "plain-secret-value"), "a [REDACTED] b");
  assertEquals(scrubSecret("Bearer xoxb-1-2-abc", "other"), "Bearer [REDACTED]");
});
