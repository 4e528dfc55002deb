// SlackReader against a server that answers badly: odd error codes, HTML pages, cursors that never end, absurd
// Retry-After values, and a token with characters that JSON and URLs escape.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, course } from "../_helpers.ts";
import { MemoryLake } from "../../lib/lake.ts";
import { fetchStateKey, rawDayKey } from "../../lib/layout.ts";
import { fetchCourses } from "../../lib/slack/fetch.ts";
import { scrubSecret, SlackApiError, SlackReader } from "../../lib/slack/web_api.ts";

const TOKEN = 'xoxb-7-7-we"ird<&>tok';

/** A server that answers every request with `answer(n)`, n counting from 1. */
function serve(answer: (n: number) => Response) {
  let n = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.text();
    return answer(++n);
  });
  return { url: `http://127.0.0.1:${server.addr.port}/api/`, count: () => n, close: () => server.shutdown() };
}

function reader(url: string, extra: { sleeps?: number[]; logs?: string[]; maxPages?: number } = {}) {
  return new SlackReader({
    token: TOKEN,
    apiUrl: url,
    retry: { retries: 1, minTimeout: 5, maxTimeout: 10 },
    maxPages: extra.maxPages,
    sleep: (ms) => {
      extra.sleeps?.push(ms);
      return Promise.resolve();
    },
    onLog: (l, m) => extra.logs?.push(`${l} ${m}`),
  });
}

async function drain(gen: AsyncGenerator<unknown[]>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const p of gen) out.push(...p);
  return out;
}

async function rejects(gen: AsyncGenerator<unknown[]>, text: string): Promise<SlackApiError> {
  return await assertRejects(() => drain(gen), SlackApiError, text) as SlackApiError;
}

const msg = { type: "message", ts: "1700000000.000100", text: "a" };

Deno.test("SlackReader stops with cursor_loop when the server gives the same cursor again", async () => {
  const s = serve(() => Response.json({ ok: true, messages: [msg], response_metadata: { next_cursor: "same" } }));
  try {
    const e = await rejects(reader(s.url).history("C1"), "gave a cursor it had given before (after 2 pages)");
    assertEquals([e.code, e.method], ["cursor_loop", "conversations.history"]);
    assertEquals(s.count(), 2);
  } finally {
    await s.close();
  }
});

Deno.test("SlackReader stops with too_many_pages when new cursors never end", async () => {
  const s = serve((n) => Response.json({ ok: true, messages: [msg], response_metadata: { next_cursor: `c${n}` } }));
  try {
    const e = await rejects(reader(s.url, { maxPages: 5 }).history("C1"), "still had more after 5 pages");
    assertEquals(e.code, "too_many_pages");
    assertEquals(s.count(), 5);
  } finally {
    await s.close();
  }
});

Deno.test("SlackReader bounds a Retry-After: at least 1 s, at most the cap, and says when it cut one", async (t) => {
  for (const [header, want] of [["0", 1000], ["-5", 1000], ["999999", 300_000], ["abc", 1000]] as const) {
    await t.step(`Retry-After: ${header}`, async () => {
      const s = serve((n) =>
        n === 1
          ? new Response("{}", { status: 429, headers: { "retry-after": header } })
          : Response.json({ ok: true, messages: [msg] })
      );
      const sleeps: number[] = [];
      const logs: string[] = [];
      try {
        assertEquals(await drain(reader(s.url, { sleeps, logs }).history("C1")), [msg]);
        assertEquals(sleeps, [want]);
        if (header === "999999") {
          ok(logs.some((l) => l.includes("Retry-After 999999 s; waiting 300 s instead (the cap)")), logs.join("\n"));
        }
      } finally {
        await s.close();
      }
    });
  }
});

Deno.test("SlackReader calls an answer that is not a Web API error code bad_response, without the token", async (t) => {
  const cases: [string, () => Response, string][] = [
    ["an HTML page", () => new Response(`<html>Bad gateway ${TOKEN}</html>`), "not a Web API error code"],
    ["ok:false with no error", () => Response.json({ ok: false }), "no error code"],
    ["an odd error", () => Response.json({ ok: false, error: `no such thing ${TOKEN}` }), "not a Web API error code"],
  ];
  for (const [name, answer, says] of cases) {
    await t.step(name, async () => {
      const s = serve(answer);
      try {
        const e = await rejects(reader(s.url).history("C1"), says);
        assertEquals(e.code, "bad_response");
        ok(!e.message.includes("ird<&>") && !JSON.stringify(e).includes("ird<&>"), e.message);
      } finally {
        await s.close();
      }
    });
  }
});

Deno.test("scrubSecret() removes a token with special characters also as JSON and URLs write it", () => {
  const line = JSON.stringify({ note: `bad ${TOKEN}`, url: `x?t=${encodeURIComponent(TOKEN)}` });
  const out = scrubSecret(line, TOKEN);
  ok(!out.includes("ird<&>") && !out.includes("ird%3C"), out);
  assertEquals(JSON.parse(out).note, "bad [REDACTED]");
});

Deno.test("a cursor loop fails only its course, says to check SLACK_API_URL, and leaves the state alone", async () => {
  const s = serve(() => Response.json({ ok: true, messages: [msg], response_metadata: { next_cursor: "same" } }));
  try {
    const lake = new MemoryLake();
    const c = course("ml", { channelId: "C0LOOP0001" });
    const r = await fetchCourses(reader(s.url), lake, { courses: [c], names: false, lease: { settleMs: 1 } });
    const got = r.courses[0]!;
    assertEquals([got.status, got.errorCode], ["failed", "cursor_loop"]);
    ok(got.note!.startsWith("Course ml, channel C0LOOP0001: conversations.history gave a cursor"), got.note!);
    ok(got.note!.includes("check that SLACK_API_URL points at Slack's Web API"), got.note!);
    assertEquals(await lake.stat(fetchStateKey("ml")), undefined, "the state did not move");
    ok(await lake.stat(rawDayKey(c.rawPrefix, "2023-11-14")), "what came is kept");
  } finally {
    await s.close();
  }
});
