import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { zipSync } from "fflate";
import * as path from "node:path";
import { assertRejects, assertThrows, course, dec, enc, fixture, readBronze, snapshot } from "../_helpers.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { MemoryLake } from "../../lib/lake.ts";
import { importExport, openExport, zipExport } from "../../lib/slack/export.ts";

const RAW = "raw/slack/ml-zoomcamp";
const options = { channel: "course-ml-zoomcamp", rawPrefix: RAW };

async function rawMessages(lake: MemoryLake): Promise<Map<string, Record<string, unknown>[]>> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const [key, bytes] of await snapshot(lake, `${RAW}/`)) out.set(key, JSON.parse(dec(bytes)));
  return out;
}

function zipFolder(dir: string, top = ""): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (d: string, rel: string) => {
    for (const e of Deno.readDirSync(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(path.join(d, e.name), r);
      else files[`${top}${r}`] = Deno.readFileSync(path.join(d, e.name));
    }
  };
  walk(dir, "");
  return zipSync(files);
}

Deno.test("importExport() files a channel's messages by the UTC day of ts", async () => {
  const lake = new MemoryLake();
  const s = await importExport(await openExport(fixture("export/export-a")), lake, options);
  assertEquals([s.channel, s.channelId, s.filesRead, s.messages, s.added], [
    "course-ml-zoomcamp",
    "C0288NJ5XSA",
    2,
    5,
    5,
  ]);
  const raw = await rawMessages(lake);
  assertEquals([...raw.keys()], [
    `${RAW}/year=2024/month=02/day=01/2024-02-01.json`,
    `${RAW}/year=2024/month=02/day=02/2024-02-02.json`,
  ]);
  // The message posted after midnight UTC sits in the export's Feb 1 file, but is filed under Feb 2.
  assertEquals(raw.get(`${RAW}/year=2024/month=02/day=02/2024-02-02.json`)!.map((m) => m.ts), [
    "1706833800.000003",
    "1706880000.000004",
    "1706881000.000005",
  ]);
});

Deno.test("importExport() of the same export again changes nothing", async () => {
  const lake = new MemoryLake();
  const source = await openExport(fixture("export/export-a"));
  await importExport(source, lake, options);
  const before = await snapshot(lake);
  const again = await importExport(source, lake, options);
  assertEquals([again.added, again.updated, again.unchanged, again.rawFilesWritten], [0, 0, 5, 0]);
  assertEquals(await snapshot(lake), before);
});

Deno.test("importExport() merges an overlapping export by ts, and the newer edit wins", async (t) => {
  const lake = new MemoryLake();
  await importExport(await openExport(fixture("export/export-a")), lake, options);
  const b = await importExport(await openExport(fixture("export/export-b")), lake, options);
  await t.step("counts", () => {
    assertEquals([b.added, b.updated, b.unchanged], [2, 1, 1]);
  });
  await t.step("no duplicates, the edit in place", async () => {
    const all = [...(await rawMessages(lake)).values()].flat();
    assertEquals(all.length, 7);
    assertEquals(new Set(all.map((m) => m.ts)).size, 7);
    assertEquals(all.find((m) => m.ts === "1706880000.000004")!.text, "Is there a lecture today at 5pm?");
  });
  await t.step("importing the older export after the newer one keeps the newer edit", async () => {
    const a = await importExport(await openExport(fixture("export/export-a")), lake, options);
    assertEquals(a.updated, 0);
    const all = [...(await rawMessages(lake)).values()].flat();
    assertEquals(all.find((m) => m.ts === "1706880000.000004")!.text, "Is there a lecture today at 5pm?");
  });
  await t.step("ingest then gives one bronze row per message", async () => {
    await ingest(lake, { courses: [course("ml-zoomcamp")] });
    const rows = await readBronze(lake, "ml-zoomcamp");
    assertEquals(rows.length, 7);
    assertEquals(new Set(rows.map((r) => r.message_id)).size, 7);
  });
});

Deno.test("importExport() reads a zipped export, with or without a top folder", async (t) => {
  for (const top of ["", "slack-export-2024/"]) {
    await t.step(top === "" ? "flat zip" : "zip with a top folder", async () => {
      const zipped = zipExport("export.zip", zipFolder(fixture("export/export-a"), top));
      const fromZip = new MemoryLake();
      const fromDir = new MemoryLake();
      await importExport(zipped, fromZip, options);
      await importExport(await openExport(fixture("export/export-a")), fromDir, options);
      assertEquals(await snapshot(fromZip), await snapshot(fromDir));
    });
  }
  await t.step("a file that is not a zip is refused", () => {
    assertThrows(() => zipExport("x.zip", enc("not a zip")), SyntaxError, "x.zip is not a readable zip");
  });
});

Deno.test("importExport() takes the slackdump variant with escaped <, > and &", async () => {
  const escaped =
    '[{"type":"message","ts":"1706790000.000001","text":"see \\u003c@U01AAAAAAA1\\u003e \\u0026amp; \\u003chttps://x.org|x\\u003e"}]';
  const source = zipExport("dump.zip", zipSync({ "course-ml-zoomcamp/2024-02-01.json": enc(escaped) }));
  const lake = new MemoryLake();
  await importExport(source, lake, options);
  await ingest(lake, { courses: [course("ml-zoomcamp")] });
  const [row] = await readBronze(lake, "ml-zoomcamp");
  assertEquals(row!.text, "see <@U01AAAAAAA1> &amp; <https://x.org|x>");
  assertEquals(row!.text_plain, "see @U01AAAAAAA1 & x");
});

Deno.test("importExport() reports bad input and imports the rest", async (t) => {
  const lake = new MemoryLake();
  const source = zipExport(
    "bad.zip",
    zipSync({
      "course-ml-zoomcamp/2024-02-01.json": enc('[{"ts":"1706790000.000001","text":"ok"}, {"text":"no ts"}, 7]'),
      "course-ml-zoomcamp/2024-02-02.json": enc('{"not": "an array"}'),
      "course-ml-zoomcamp/2024-02-03.json": enc(""),
    }),
  );
  const s = await importExport(source, lake, options);
  await t.step("the valid message is imported", () => {
    assertEquals(s.added, 1);
  });
  await t.step("each problem names the file", () => {
    assertEquals(s.problems.map((p) => [p.file, p.entry]), [
      ["course-ml-zoomcamp/2024-02-01.json", 1],
      ["course-ml-zoomcamp/2024-02-01.json", 2],
      ["course-ml-zoomcamp/2024-02-02.json", null],
      ["course-ml-zoomcamp/2024-02-03.json", null],
    ]);
    assertEquals(s.problems[0]!.reason, "Entry 1 is not a message with a Slack ts; it was not imported");
  });
  await t.step("a broken raw file already in the lake is not overwritten", async () => {
    const key = `${RAW}/year=2024/month=02/day=01/2024-02-01.json`;
    await lake.write(key, enc("{broken"));
    const again = await importExport(source, lake, options);
    assertEquals(dec(await lake.read(key)), "{broken");
    ok(again.problems.some((p) => p.file === key && p.reason.includes("fix or delete it, then import again")));
  });
});

Deno.test("importExport() names the channels it has when the one asked for is missing", async () => {
  const source = await openExport(fixture("export/export-a"));
  await assertRejects(
    () => importExport(source, new MemoryLake(), { channel: "nope", rawPrefix: RAW }),
    RangeError,
    'Channel "nope" is not in the export',
  );
  await assertRejects(
    () => importExport(source, new MemoryLake(), { channel: "nope", rawPrefix: RAW }),
    RangeError,
    "course-ml-zoomcamp, random",
  );
  // A channel id from channels.json works as well as its name.
  const byId = await importExport(source, new MemoryLake(), { channel: "C0288NJ5XSA", rawPrefix: RAW });
  assertEquals(byId.channel, "course-ml-zoomcamp");
});

Deno.test("importExport() merges with ingest's version order and never loses raw entries", async (t) => {
  const key = `${RAW}/year=2024/month=02/day=01/2024-02-01.json`;
  const exported = (text: string) =>
    zipExport(
      "x.zip",
      zipSync({
        "course-ml-zoomcamp/2024-02-01.json": enc(JSON.stringify([{ ts: "1706790000.000200", text }])),
      }),
    );
  await t.step("two versions of one ts in the raw file: the newer one is kept, not the last one", async () => {
    const lake = new MemoryLake();
    const newer = { ts: "1706790000.000001", text: "edited", edited: { ts: "1706790100.000000" } };
    const older = { ts: 1706790000.000001, text: "original" };
    await lake.write(key, enc(JSON.stringify([newer, older])));
    const s = await importExport(exported("other"), lake, options);
    assertEquals(s.problems, []);
    const raw = (await rawMessages(lake)).get(key)!;
    assertEquals(raw.map((m) => m.text), ["edited", "other"]);
    // Ingest agrees.
    await ingest(lake, { courses: [course("ml-zoomcamp")] });
    assertEquals((await readBronze(lake, "ml-zoomcamp")).map((r) => r.text), ["edited", "other"]);
  });
  await t.step("an entry it cannot parse stops the rewrite, is reported, and stays in the file", async () => {
    const lake = new MemoryLake();
    const before = '[{"ts":"1706790000.000001","text":"a"}, {"ts": oops}, {"text":"no ts"}]';
    await lake.write(key, enc(before));
    const s = await importExport(exported("new"), lake, options);
    assertEquals(dec(await lake.read(key)), before);
    assertEquals(s.rawFilesWritten, 0);
    assertEquals(s.problems.map((p) => [p.file, p.entry]), [[key, 1]]);
    ok(
      s.problems[0]!.reason.includes("has 2 entries that are not messages with a Slack ts (1, 2)"),
      s.problems[0]!.reason,
    );
    ok(s.problems[0]!.reason.includes("1 messages were not merged into it: fix or remove those entries"));
  });
  await t.step("a numeric ts in the export and its string form in raw are one message", async () => {
    const lake = new MemoryLake();
    await lake.write(key, enc(JSON.stringify([{ ts: "1706790000.100000", text: "string form" }])));
    const source = zipExport(
      "n.zip",
      zipSync({ "course-ml-zoomcamp/2024-02-01.json": enc('[{"ts":1706790000.1,"text":"string form"}]') }),
    );
    const s = await importExport(source, lake, options);
    assertEquals([s.added, s.updated, s.unchanged], [0, 0, 1]);
  });
});
