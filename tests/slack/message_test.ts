import { deepEqual as assertEquals } from "node:assert/strict";
import { assertThrows } from "../_helpers.ts";
import { fixture } from "../_helpers.ts";
import {
  compareVersions,
  microsToIso,
  normalizeMessage,
  parseSlackTs,
  redactTokens,
  redactUrl,
  renderMrkdwn,
  versionOf,
} from "../../lib/slack/message.ts";

const ctx = { courseId: "ml-zoomcamp", sourcePath: "raw/x.json", ingestionTime: 1n, channelId: "C0288NJ5XSA" };
const day15 = JSON.parse(
  await Deno.readTextFile(fixture("raw/ml-zoomcamp/year=2024/month=01/day=15/2024-01-15.json")),
) as Record<string, unknown>[];
const day16 = JSON.parse(
  await Deno.readTextFile(fixture("raw/ml-zoomcamp/year=2024/month=01/day=16/2024-01-16.json")),
) as Record<string, unknown>[];

Deno.test({ name: "parseSlackTs() keeps ts exact to the microsecond", permissions: { read: true } }, async (t) => {
  await t.step("a six-digit fraction", () => {
    assertEquals(parseSlackTs("1723556195.123456"), { raw: "1723556195.123456", micros: 1723556195123456n });
  });
  await t.step("values a float would round", () => {
    // As a float this is 1705363199.9999990463…; as a string it stays exact.
    assertEquals(parseSlackTs("1705363199.999999")?.micros, 1705363199999999n);
    assertEquals(parseSlackTs("1705449600.000001")?.micros, 1705449600000001n);
  });
  await t.step("short fractions and whole seconds", () => {
    assertEquals(parseSlackTs("1700000000.5")?.micros, 1700000000500000n);
    assertEquals(parseSlackTs("1700000000")?.micros, 1700000000000000n);
  });
  await t.step("a JSON number keeps its shortest form", () => {
    assertEquals(parseSlackTs(1723556195.123456), { raw: "1723556195.123456", micros: 1723556195123456n });
  });
  await t.step("anything else is refused", () => {
    for (const bad of [undefined, null, "", "yesterday", "1.2.3", "-5", "1700000000.1234567", "99999999999", {}]) {
      assertEquals(parseSlackTs(bad), undefined, String(bad));
    }
  });
  await t.step("microsToIso prints all six digits", () => {
    assertEquals(microsToIso(1705363199999999n), "2024-01-15T23:59:59.999999Z");
  });
});

Deno.test({ name: "renderMrkdwn() renders every kind of Slack markup", permissions: { read: true } }, async (t) => {
  await t.step("mentions, with and without names, in any case", () => {
    assertEquals(renderMrkdwn("hi <@U01BBBBBBB2> and <@u01bbbbbbb2|ben>"), "hi @U01BBBBBBB2 and @ben");
    assertEquals(
      renderMrkdwn("hi <@u01bbbbbbb2>", { users: new Map([["U01BBBBBBB2", "ben"]]) }),
      "hi @ben",
    );
  });
  await t.step("channels, broadcasts, groups and dates", () => {
    assertEquals(renderMrkdwn("<#C0288NJ5XSA|course-ml> <#c0288nj5xsa> <#C1|>"), "#course-ml #C0288NJ5XSA #C1");
    assertEquals(renderMrkdwn("<!here> <!channel> <!everyone|everyone>"), "@here @channel @everyone");
    assertEquals(renderMrkdwn("<!subteam^S0123|@mentors> <!subteam^S0456>"), "@mentors @group");
    assertEquals(renderMrkdwn("at <!date^1705400000^{date_short}|Jan 16>"), "at Jan 16");
  });
  await t.step("links and mail", () => {
    assertEquals(
      renderMrkdwn("<https://x.org|the docs> <https://y.org> <mailto:a@b.org|a@b.org>"),
      "the docs https://y.org a@b.org",
    );
  });
  await t.step("entities decode after links, so escaped brackets stay text", () => {
    assertEquals(renderMrkdwn("a &lt;b&gt; &amp; &lt;@U1&gt;"), "a <b> & <@U1>");
  });
  await t.step("formatting marks go, math stays", () => {
    assertEquals(
      renderMrkdwn("*Bold* _italic_ ~strike~ `code` 2*3*4 snake_case_name"),
      "Bold italic strike code 2*3*4 snake_case_name",
    );
    assertEquals(renderMrkdwn("```block\nx = 1```"), "block\nx = 1");
  });
  await t.step("code spans and blocks keep their underscores and asterisks verbatim", () => {
    assertEquals(renderMrkdwn("edit `__init__.py` and `__init__`"), "edit __init__.py and __init__");
    assertEquals(renderMrkdwn("run `SELECT * FROM t WHERE a = *b*` _now_"), "run SELECT * FROM t WHERE a = *b* now");
    assertEquals(
      renderMrkdwn("```\ndef __init__(self):\n    _x_ = *args* ~y~\n```\n*done*"),
      "def __init__(self):\n    _x_ = *args* ~y~\ndone",
    );
    assertEquals(renderMrkdwn("a \uE0000\uE001 b `c`"), "a 0 b c");
  });
  await t.step("the fixture with every kind", () => {
    const text = day16.find((m) => m.ts === "1705400500.000550")!.text as string;
    const plain = renderMrkdwn(text);
    assertEquals(
      plain,
      "Bold italic strike code block\nx = 1 a@b.org @mentors Jan 16 https://example.com a <b> 2*3*4 @channel",
    );
  });
  await t.step("emoji and unicode pass through", () => {
    const text = day15.find((m) => m.ts === "1705340000.000030")!.text as string;
    assertEquals(renderMrkdwn(text), "thanks @U01BBBBBBB2 and #course-ml-zoomcamp 🎉 — naïve café, 日本語も");
  });
});

Deno.test({ name: "redactTokens() and redactUrl() leave no Slack token", permissions: { read: true } }, async (t) => {
  await t.step("tokens in text", () => {
    assertEquals(redactTokens("key xoxb-1111-2222-abc and xapp-1-A-2 ok"), "key [REDACTED] and [REDACTED] ok");
  });
  await t.step("the t= query of a file URL goes, other parameters stay", () => {
    assertEquals(redactUrl("https://f.slack.com/a.png?t=xoxe-1-abc"), "https://f.slack.com/a.png");
    assertEquals(redactUrl("https://f.slack.com/a.png?x=1&t=xoxe-1-abc#top"), "https://f.slack.com/a.png?x=1#top");
    assertEquals(redactUrl("https://f.slack.com/a.png?t=xoxe-REDACTED"), "https://f.slack.com/a.png");
  });
  await t.step("any t= goes, not only xox… ones", () => {
    assertEquals(
      redactUrl("https://files.slack.com/files-pri/T1-F2/a.png?t=abc123"),
      "https://files.slack.com/files-pri/T1-F2/a.png",
    );
    assertEquals(redactUrl("https://f.slack.com/a.png?T=Zm9vYmFy&dl=1"), "https://f.slack.com/a.png?dl=1");
  });
  await t.step("URL-encoded and glued tokens, in text and in file URLs", () => {
    assertEquals(redactTokens("cb=%3Dxoxp-1-2-abc BOT_xoxb-3-4-def"), "cb=%3D[REDACTED] BOT_[REDACTED]");
    assertEquals(redactUrl("https://f.slack.com/a.png?r=%3Dxoxp-1-2-abc&x=1"), "https://f.slack.com/a.png?x=1");
    assertEquals(redactUrl("https://f.slack.com/NAME_xoxb-3-4-def/a.png"), "https://f.slack.com/NAME_[REDACTED]/a.png");
  });
  await t.step("normalizeMessage() leaves none in text, text_plain or url_private", () => {
    const row = normalizeMessage({
      ts: "1705400000.000100",
      text: "my SLACK_BOT_xoxb-1-2-abc and %3Dxoxp-3-4-def at <https://files.slack.com/f/a.png?t=plain123|a.png>",
      files: [{ id: "F1", url_private: "https://files.slack.com/f/a.png?t=plain123&u=%3Dxoxp-3-4-def" }],
    }, ctx);
    for (const v of [row.text, row.text_plain, row.files[0]!.url_private]) {
      for (const secret of ["xoxb-", "xoxp-", "plain123"]) {
        assertEquals(v!.includes(secret), false, `${secret} in ${v}`);
      }
    }
    assertEquals(row.text_plain, "my SLACK_BOT_[REDACTED] and %3D[REDACTED] at a.png");
    assertEquals(row.files[0]!.url_private, "https://files.slack.com/f/a.png");
  });
});

Deno.test({ name: "normalizeMessage() builds bronze rows by the rules", permissions: { read: true } }, async (t) => {
  const rows = [...day15, ...day16].map((m) => normalizeMessage(m, ctx));
  const byTs = new Map(rows.map((r) => [r.ts_raw, r]));

  await t.step("message_id is course:ts_raw and ts is exact", () => {
    const r = byTs.get("1705363199.999999")!;
    assertEquals(r.message_id, "ml-zoomcamp:1705363199.999999");
    assertEquals(r.ts, 1705363199999999n);
    assertEquals([r.year, r.month, r.day], [2024, 1, 15]);
  });
  await t.step("the partition is the UTC day of ts, not the file's day", () => {
    const r = byTs.get("1705449600.000001")!;
    assertEquals([r.year, r.month, r.day], [2024, 1, 17]);
  });
  await t.step("every top-level message is a thread head, answered or not", () => {
    assertEquals(byTs.get("1705313000.123456")!.is_thread_head, true); // thread_ts == ts
    assertEquals(byTs.get("1705316400.654321")!.is_thread_head, true); // no replies
    assertEquals(byTs.get("1705313100.000001")!.is_thread_head, false); // reply
    assertEquals(byTs.get("1705399500.000200")!.is_thread_head, false); // reply a day later
    assertEquals(byTs.get("1705399600.000300")!.is_thread_head, false); // thread_broadcast
  });
  await t.step("joins, bots and tombstones are kept with their subtype", () => {
    assertEquals(byTs.get("1705312800.000100")!.subtype, "channel_join");
    assertEquals(byTs.get("1705320000.000010")!.bot_id, "B01ZZZZZZZ9");
    const tomb = byTs.get("1705400000.000400")!;
    assertEquals([tomb.subtype, tomb.deleted, tomb.is_thread_head], ["tombstone", true, true]);
  });
  await t.step("files keep their facts and lose their tokens", () => {
    const r = byTs.get("1705330000.000020")!;
    assertEquals(r.files, [
      {
        id: "F01ERRORPNG",
        name: "error.png",
        mimetype: "image/png",
        size: 48213,
        url_private: "https://files.slack.com/files-pri/T01TEAM-F01ERRORPNG/error.png",
      },
      { id: "F01HIDDEN00", name: null, mimetype: null, size: null, url_private: null },
    ]);
  });
  await t.step("no token survives in text or text_plain", () => {
    const r = byTs.get("1705363199.999999")!;
    assertEquals(r.text, "Last message before midnight UTC: my token [REDACTED] leaked, sorry");
    assertEquals(r.text_plain, r.text);
    for (const row of rows) {
      assertEquals(/xox[a-z]-/i.test(JSON.stringify(row, (_k, v) => typeof v === "bigint" ? String(v) : v)), false);
    }
  });
  await t.step("thread facts, reactions and edits", () => {
    const head = byTs.get("1705313000.123456")!;
    assertEquals([head.reply_count, head.reply_users_count, head.latest_reply], [2, 2, 1705399500000200n]);
    assertEquals(head.reactions, [{ name: "eyes", count: 1 }]);
    assertEquals(byTs.get("1705401000.000600")!.edited_ts, 1705401500000000n);
    assertEquals(byTs.get("1705313000.123456")!.channel_id, "C0288NJ5XSA");
  });
  await t.step("bad records throw the built-in class with a clear message", () => {
    assertThrows(() => normalizeMessage(42, ctx), TypeError, "Entry is a number, not a message object");
    assertThrows(() => normalizeMessage({ text: "x" }, ctx), RangeError, "Message has no ts");
    assertThrows(() => normalizeMessage({ ts: "soon" }, ctx), RangeError, 'Message ts "soon" is not a Slack timestamp');
  });
});

Deno.test({
  name: "compareVersions() prefers deletions, then later edits, then later thread state",
  permissions: { read: true },
}, () => {
  const base = versionOf({ ts: "1.000001" });
  const edited = versionOf({ ts: "1.000001", edited: { ts: "2.000000" } });
  const edited2 = versionOf({ ts: "1.000001", edited: { ts: "3.000000" } });
  const tomb = versionOf({ ts: "1.000001", subtype: "tombstone" });
  const more = versionOf({ ts: "1.000001", reply_count: 3, latest_reply: "9.000000" });
  assertEquals(compareVersions(edited, base) > 0, true);
  assertEquals(compareVersions(edited2, edited) > 0, true);
  assertEquals(compareVersions(tomb, edited2) > 0, true);
  assertEquals(compareVersions(more, base) > 0, true);
  assertEquals(compareVersions(base, base), 0);
});
