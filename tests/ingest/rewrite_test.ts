import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { course, enc, readBronze } from "../_helpers.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { LocalLake, MemoryLake } from "../../lib/lake.ts";
import { rawDayKey } from "../../lib/layout.ts";

const ML = course("ml");
const DAY = "2024-01-15";
const KEY = rawDayKey("raw/slack/ml", DAY);

function msg(ts: string | number, text: string, extra: Record<string, unknown> = {}) {
  return { type: "message", user: "U1", ts, text, ...extra };
}

async function texts(lake: MemoryLake | LocalLake): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const r of await readBronze(lake, "ml")) out[r.ts_raw] = r.text;
  return out;
}

Deno.test("ingest() never loses a message to a truncated re-fetch", async (t) => {
  const lake = new MemoryLake();
  await lake.write(KEY, enc(JSON.stringify([msg("1705312800.000100", "a"), msg("1705312900.000200", "b")])));
  await ingest(lake, { courses: [ML] });

  await t.step("a re-fetch cut short, with one valid entry left, keeps the message it lost", async () => {
    await lake.write(
      KEY,
      enc(`[${JSON.stringify(msg("1705312800.000100", "a2", { edited: { ts: "1705313000.0" } }))},{"ts":`),
    );
    const s = await ingest(lake, { courses: [ML] });
    assertEquals(s.quarantine.length, 1);
    assertEquals(await texts(lake), { "1705312800.000100": "a2", "1705312900.000200": "b" });
  });
  await t.step("a whole re-fetch that lacks a message keeps it too", async () => {
    await lake.write(KEY, enc(JSON.stringify([msg("1705312900.000200", "b")])));
    await ingest(lake, { courses: [ML] });
    assertEquals(Object.keys(await texts(lake)).sort(), ["1705312800.000100", "1705312900.000200"]);
  });
  await t.step("a message leaves only through a newer version that says it was deleted", async () => {
    await lake.write(
      KEY,
      enc(JSON.stringify([msg("1705312900.000200", "This message was deleted.", { subtype: "tombstone" })])),
    );
    await ingest(lake, { courses: [ML] });
    const rows = await readBronze(lake, "ml");
    assertEquals(rows.length, 2);
    assertEquals(rows.find((r) => r.ts_raw === "1705312900.000200")!.deleted, true);
  });
});

Deno.test("ingest() keys a ts in every form on Slack's six-digit string", async (t) => {
  const lake = new MemoryLake();
  await lake.write(
    KEY,
    enc(
      `[{"type":"message","ts":1705312800.1,"text":"numeric","thread_ts":1705312800.1},` +
        `{"type":"message","ts":"1705312800.100000","text":"string","edited":{"ts":"1705312801.000000"}},` +
        `{"type":"message","ts":"1705312800.1","text":"short string"},` +
        `{"type":"message","ts":"1705312900.1234567","text":"too fine"},` +
        `{"type":"message","ts":"soon","text":"garbage"}]`,
    ),
  );
  const s = await ingest(lake, { courses: [ML] });
  const rows = await readBronze(lake, "ml");
  await t.step("one row, with the canonical ts_raw and message_id, the newest version", () => {
    assertEquals(rows.map((r) => [r.message_id, r.ts_raw, r.text]), [[
      "ml:1705312800.100000",
      "1705312800.100000",
      "string",
    ]]);
    assertEquals(rows[0]!.ts, 1705312800100000n);
  });
  await t.step("more than six fractional digits, or garbage, is refused clearly", () => {
    const reasons = s.quarantine.map((q) => q.reason);
    assertEquals(reasons, [
      'Entry 3: Message ts "1705312900.1234567" has more than 6 fractional digits: Slack\'s ts is seconds and microseconds',
      'Entry 4: Message ts "soon" is not a Slack timestamp',
    ]);
  });
  await t.step("thread_ts_raw is canonical too", async () => {
    await lake.write(KEY, enc(JSON.stringify([msg("1705312800.2", "reply", { thread_ts: 1705312800.1 })])));
    await ingest(lake, { courses: [ML] });
    const reply = (await readBronze(lake, "ml")).find((r) => r.text === "reply")!;
    assertEquals([reply.ts_raw, reply.thread_ts_raw, reply.is_thread_head], [
      "1705312800.200000",
      "1705312800.100000",
      false,
    ]);
  });
});

Deno.test("ingest() keys Events-API changes and deletions on the message they change", async () => {
  const lake = new MemoryLake();
  await lake.write(KEY, enc(JSON.stringify([msg("1705312800.000100", "What is the deadline?")])));
  await lake.write(
    rawDayKey("raw/slack/ml", "2024-01-16"),
    enc(JSON.stringify([
      {
        type: "message",
        subtype: "message_changed",
        ts: "1705399000.000001",
        channel: "C1",
        message: msg("1705312800.000100", "What is the deadline for hw1?", { edited: { ts: "1705399000.0" } }),
        previous_message: msg("1705312800.000100", "What is the deadline?"),
      },
      {
        type: "message",
        subtype: "message_deleted",
        ts: "1705399100.000001",
        deleted_ts: "1705312900.000200",
        previous_message: msg("1705312900.000200", "secret plan"),
      },
      { type: "message", subtype: "message_deleted", ts: "1705399200.000001" },
    ])),
  );
  await lake.write(
    rawDayKey("raw/slack/ml", "2024-01-15").replace(".json", "-b.json"),
    enc(JSON.stringify([msg("1705312900.000200", "secret plan")])),
  );
  const s = await ingest(lake, { courses: [ML] });
  const rows = await readBronze(lake, "ml");
  assertEquals(rows.map((r) => [r.ts_raw, r.text, r.deleted, r.day]), [
    ["1705312800.000100", "What is the deadline for hw1?", false, 15],
    ["1705312900.000200", null, true, 15],
  ]);
  assertEquals(rows[0]!.channel_id, "C1");
  assertEquals(s.quarantine.map((q) => q.reason), ["Entry 2: Event message_deleted names no message ts"]);
});

Deno.test("ingest() breaks a version tie with the re-written file's current time", async () => {
  const lake = new MemoryLake();
  const a = rawDayKey("raw/slack/ml", DAY);
  const b = a.replace(".json", "-a.json"); // sorts before a, so the path does not decide
  await lake.write(b, enc(JSON.stringify([msg("1705312800.000100", "from b")])));
  await lake.write(a, enc(JSON.stringify([msg("1705312800.000100", "from a")])));
  await ingest(lake, { courses: [ML] });
  assertEquals(Object.values(await texts(lake)), ["from a"]);
  await new Promise((r) => setTimeout(r, 5));
  // b is re-written later with the same version facts: it is now the newest file.
  await lake.write(b, enc(JSON.stringify([msg("1705312800.000100", "from b, again")])));
  await ingest(lake, { courses: [ML] });
  assertEquals(Object.values(await texts(lake)), ["from b, again"]);
});

Deno.test("ingest() re-reads a same-size local edit whose mtime was put back (cp -p)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-cpp-" });
  try {
    const lake = new LocalLake(dir);
    await lake.write(KEY, enc(JSON.stringify([msg("1705312800.000100", "aaaa")])));
    await ingest(lake, { courses: [ML] });
    const file = `${dir}/${KEY}`;
    const { mtime, atime } = await Deno.stat(file);
    await new Promise((r) => setTimeout(r, 20));
    await Deno.writeTextFile(file, JSON.stringify([msg("1705312800.000100", "bbbb")]));
    await Deno.utime(file, atime!, mtime!);
    const s = await ingest(lake, { courses: [ML] });
    assertEquals(s.courses[0]!.filesChanged, 1);
    assertEquals(Object.values(await texts(lake)), ["bbbb"]);
    // A touch that leaves the content alone is hashed, found the same, and not re-read.
    await Deno.utime(file, atime!, mtime!);
    await Deno.chmod(file, 0o644);
    const again = await ingest(lake, { courses: [ML] });
    assertEquals([again.courses[0]!.filesChanged, again.courses[0]!.partitionsWritten], [0, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest() --since lists date-named flat files too", async () => {
  const lake = new MemoryLake();
  await lake.write("raw/slack/ml/2024-02-01.json", enc(JSON.stringify([msg("1706788800.000100", "flat")])));
  await lake.write("raw/slack/ml/2024-01-01.json", enc(JSON.stringify([msg("1704110400.000100", "before")])));
  const s = await ingest(lake, { courses: [ML], since: "2024-02-01", until: "2024-02-28" });
  assertEquals([s.courses[0]!.filesListed, s.courses[0]!.filesChanged], [1, 1]);
  assertEquals(Object.values(await texts(lake)), ["flat"]);
});

Deno.test("ingest() with parallel workers keeps the other courses' quarantine when one fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ingest-par-" });
  try {
    const lake = new LocalLake(dir);
    await lake.write(
      rawDayKey("raw/slack/ml", DAY),
      enc(`[${JSON.stringify(msg("1705312800.000100", "ok"))}, {"bad"]`),
    );
    await lake.write(rawDayKey("raw/slack/de", DAY), enc(`[${JSON.stringify(msg("1705312800.000100", "ok"))}, 42]`));
    // The third course's manifest is corrupt: its worker fails.
    await lake.write("_state/ingest/zz/manifest.json", enc("{"));
    await lake.write(rawDayKey("raw/slack/zz", DAY), enc(JSON.stringify([msg("1705312800.000100", "ok")])));
    const courses = [course("ml"), course("de"), course("zz")];
    let error: Error | undefined;
    try {
      await ingest(lake, { courses, parallel: { lakeUrl: dir, workers: 2 } });
    } catch (e) {
      error = e as Error;
    }
    ok(error?.message.includes("Ingest manifest _state/ingest/zz/manifest.json is not valid JSON"), error?.message);
    const reports: string[] = [];
    for await (const e of lake.list("_state/ingest/quarantine/")) {
      reports.push(new TextDecoder().decode(await lake.read(e.key)));
    }
    assertEquals(reports.length, 1);
    const items = reports[0]!.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(items.map((q) => q.course_id).sort(), ["de", "ml"]);
    ok(await lake.stat("bronze/slack/messages/course_id=ml/year=2024/month=01/day=15/part-00000.parquet"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
