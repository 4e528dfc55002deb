import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, course, dec, enc, fixture, readBronze } from "../_helpers.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { MemoryLake, openLake } from "../../lib/lake.ts";
import { metaKey, rawDayKey } from "../../lib/layout.ts";
import { importExport, importNames, openExport } from "../../lib/slack/export.ts";
import { normalizeMessage, renderMrkdwn } from "../../lib/slack/message.ts";
import { rawLeaseKey } from "../../lib/slack/raw_lease.ts";
import { buildLookup, readNames, storeNames, toMetaChannels, toMetaUsers } from "../../lib/slack/names.ts";

const USERS = [
  { id: "U01AAAAAAA1", name: "ana", real_name: "Ana Real", profile: { display_name: "ana.d", email: "a@x.org" } },
  { id: "u01bbbbbbb2", name: "ben", profile: { real_name: "Ben Real", display_name: "" } },
  { id: "U01CCCCCCC3", name: "cy" },
];
const CHANNELS = [{ id: "C0288NJ5XSA", name: "course-ml", purpose: { value: "x" } }];

Deno.test("renderMrkdwn() names users and channels from the lookup; unknown ids render as the upper-case id", async (t) => {
  const names = buildLookup(toMetaUsers(USERS), toMetaChannels(CHANNELS));
  await t.step("known users by display name, then real name, then handle; ids in any case", () => {
    assertEquals(
      renderMrkdwn("<@U01AAAAAAA1> <@u01aaaaaaa1> <@U01BBBBBBB2> <@U01CCCCCCC3>", names),
      "@ana.d @ana.d @Ben Real @cy",
    );
  });
  await t.step("channels without a label get their name", () => {
    assertEquals(renderMrkdwn("see <#c0288nj5xsa> and <#C0288NJ5XSA|old-name>", names), "see #course-ml and #old-name");
  });
  await t.step("unknown ids: @ or # and the id in upper case, never a raw <@…>", () => {
    const out = renderMrkdwn("<@u0nobody01> <#c0unknown1> <@W0ENTERP1>", names);
    assertEquals(out, "@U0NOBODY01 #C0UNKNOWN1 @W0ENTERP1");
    ok(!out.includes("<@") && !out.includes("<#"));
  });
});

Deno.test("normalizeMessage() fills user_name from the lookup, the inline profile, or the bot's name", () => {
  const names = buildLookup(toMetaUsers(USERS), []);
  const ctx = { courseId: "ml", sourcePath: "raw/x.json", ingestionTime: 0n, ...names };
  const row = (m: Record<string, unknown>) => normalizeMessage({ type: "message", ts: "1704067200.000001", ...m }, ctx);
  assertEquals(row({ user: "u01aaaaaaa1" }).user_name, "ana.d");
  assertEquals(
    row({ user: "U0NEW00001", user_profile: { display_name: "", real_name: "New Person" } }).user_name,
    "New Person",
  );
  assertEquals(row({ subtype: "bot_message", bot_id: "B1", username: "helper" }).user_name, "helper");
  assertEquals(row({ user: "U0NOBODY01" }).user_name, null);
});

Deno.test("storeNames() merges by id, keeps only names, and writes a file only when it changes", async (t) => {
  const lake = new MemoryLake();
  await t.step("first store writes both files, without e-mails", async () => {
    const r = await storeNames(lake, { users: USERS, channels: CHANNELS });
    assertEquals(r.written, [metaKey("users"), metaKey("channels")]);
    const text = dec(await lake.read(metaKey("users")));
    ok(!text.includes("a@x.org"));
    assertEquals(JSON.parse(text).map((u: { id: string }) => u.id), ["U01AAAAAAA1", "U01BBBBBBB2", "U01CCCCCCC3"]);
  });
  await t.step("the same names again write nothing", async () => {
    assertEquals((await storeNames(lake, { users: USERS, channels: CHANNELS })).written, []);
  });
  await t.step("a newer source wins for its ids and keeps the others", async () => {
    await storeNames(lake, { users: [{ id: "U01AAAAAAA1", name: "ana", profile: { display_name: "Ana New" } }] });
    const names = await readNames(lake);
    assertEquals([names.users.get("U01AAAAAAA1"), names.users.get("U01CCCCCCC3")], ["Ana New", "cy"]);
    assertEquals(names.channels.get("C0288NJ5XSA"), "course-ml");
  });
  await t.step("a broken names file is reported with its key and what to do", async () => {
    const bad = new MemoryLake();
    await bad.write(metaKey("users"), enc("{nope"));
    await assertRejects(() => readNames(bad), SyntaxError, "_meta/slack/users.json is not valid JSON");
    await bad.write(metaKey("users"), enc('{"a":1}'));
    await assertRejects(() => readNames(bad), TypeError, "is not a JSON array: delete it");
  });
});

Deno.test("import:export stores the export's users.json and channels.json as names", async () => {
  const lake = new MemoryLake();
  const source = await openExport(fixture("export/export-a"));
  await importExport(source, lake, { channel: "course-ml-zoomcamp", rawPrefix: "raw/slack/ml" });
  const r = await importNames(source, lake);
  assertEquals(r.written, [metaKey("users"), metaKey("channels")]);
  const names = await readNames(lake);
  assertEquals(names.users.get("U01BBBBBBB2"), "Ben");
  assertEquals(names.channels.get("C0288NJ5XSA"), "course-ml-zoomcamp");
  assertEquals((await importNames(source, lake)).written, [], "a second import writes no names");
});

Deno.test("ingest renders names; a name change reaches history only with refreshNames", async (t) => {
  const lake = new MemoryLake();
  const day1 = rawDayKey("raw/slack/ml", "2024-01-01");
  const day2 = rawDayKey("raw/slack/ml", "2024-01-02");
  await lake.write(
    day1,
    enc(JSON.stringify([{ type: "message", ts: "1704103200.000001", user: "U01AAAAAAA1", text: "hi <@u01bbbbbbb2>" }])),
  );
  await storeNames(lake, { users: USERS });
  const plain = async () => new Map((await readBronze(lake, "ml")).map((r) => [r.ts_raw, [r.text_plain, r.user_name]]));
  await t.step("the first ingest uses the stored names", async () => {
    await ingest(lake, { courses: [course("ml")] });
    assertEquals((await plain()).get("1704103200.000001"), ["hi @Ben Real", "ana.d"]);
  });
  await t.step("renamed users: unchanged partitions keep the old names, new ones get the new", async () => {
    await storeNames(lake, { users: [{ id: "U01BBBBBBB2", name: "ben", profile: { display_name: "Benjamin" } }] });
    await lake.write(day2, enc(JSON.stringify([{ type: "message", ts: "1704189600.000001", text: "<@U01BBBBBBB2>" }])));
    await ingest(lake, { courses: [course("ml")] });
    const p = await plain();
    assertEquals(p.get("1704103200.000001")![0], "hi @Ben Real");
    assertEquals(p.get("1704189600.000001")![0], "@Benjamin");
  });
  await t.step("refreshNames rebuilds history with the new names", async () => {
    const s = await ingest(lake, { courses: [course("ml")], refreshNames: true });
    assertEquals(s.courses[0]!.partitionsWritten, 2);
    assertEquals((await plain()).get("1704103200.000001")![0], "hi @Benjamin");
  });
});

Deno.test("ingest skips _meta/ and _state/ even when a course's raw_prefix lists the lake root", async () => {
  const lake = new MemoryLake();
  // A fetch or import:export writing at the same time holds its lease there.
  await lake.write(rawLeaseKey(""), enc(JSON.stringify({ owner: "x", holder: "fetch", until: Date.now() + 60_000 })));
  await lake.write(
    "year=2024/month=01/day=01/2024-01-01.json",
    enc(JSON.stringify([{ type: "message", ts: "1704103200.000001", text: "<@U01AAAAAAA1>" }])),
  );
  await storeNames(lake, { users: USERS, channels: CHANNELS });
  const root = { ...course("ml"), rawPrefix: "memory://root", rawIsUrl: true };
  const s = await ingest(lake, { courses: [root], openSource: () => lake });
  assertEquals([s.courses[0]!.filesListed, s.quarantine.length], [1, 0]);
  assertEquals((await readBronze(lake, "ml")).map((r) => r.text_plain), ["@ana.d"]);
});

Deno.test("ingest hands the names to its workers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "names-workers-" });
  try {
    const lake = await openLake(dir);
    for (const id of ["ml", "de"]) {
      await lake.write(
        rawDayKey(`raw/slack/${id}`, "2024-01-01"),
        enc(
          JSON.stringify([{ type: "message", ts: "1704103200.000001", user: "U01AAAAAAA1", text: "<@U01CCCCCCC3>" }]),
        ),
      );
    }
    await storeNames(lake, { users: USERS });
    await ingest(lake, { courses: [course("ml"), course("de")], parallel: { lakeUrl: dir, workers: 2 } });
    for (const id of ["ml", "de"]) {
      assertEquals((await readBronze(lake, id)).map((r) => [r.text_plain, r.user_name]), [["@cy", "ana.d"]]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
