import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, copyFixtures, course, dec, enc, readBronze, seedRaw, snapshot } from "../_helpers.ts";
import { ingest, type IngestOptions, manifestKey } from "../../lib/ingest/ingest.ts";
import { type Lake, type LakeEntry, MemoryLake, type WriteOptions } from "../../lib/lake.ts";
import { parsePartitionKey } from "../../lib/layout.ts";
import type { BronzeRow } from "../../lib/slack/message.ts";

const COURSES = [course("ml-zoomcamp", { channelId: "C0288NJ5XSA" }), course("de-zoomcamp")];
const ML_RAW = "raw/slack/ml-zoomcamp/year=2024/month=01";

/** Rows without the run-dependent column, sorted, for comparing runs. */
function stable(rows: BronzeRow[]): Omit<BronzeRow, "ingestion_time">[] {
  return rows.map(({ ingestion_time: _, ...r }) => r).sort((a, b) => (a.message_id < b.message_id ? -1 : 1));
}

async function partitions(lake: Lake, courseId: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of lake.list(`bronze/slack/messages/course_id=${courseId}/`)) {
    out.push(parsePartitionKey(e.key)!.day);
  }
  return out;
}

async function cleanRun(): Promise<MemoryLake> {
  const lake = new MemoryLake();
  await seedRaw(lake);
  await ingest(lake, { courses: COURSES });
  return lake;
}

Deno.test("ingest() writes one bronze partition per course and UTC day", async (t) => {
  const lake = new MemoryLake();
  await seedRaw(lake);
  const summary = await ingest(lake, { courses: COURSES });
  const ml = await readBronze(lake, "ml-zoomcamp");

  await t.step("partitions are the UTC days of ts, not of the raw files", async () => {
    assertEquals(await partitions(lake, "ml-zoomcamp"), ["2024-01-15", "2024-01-16", "2024-01-17"]);
    assertEquals(await partitions(lake, "de-zoomcamp"), ["2024-01-17"]);
    for (const r of ml) {
      assertEquals(
        new Date(Number(r.ts / 1000n)).toISOString().slice(0, 10),
        `2024-01-${String(r.day).padStart(2, "0")}`,
      );
    }
  });
  await t.step("every unique raw message is one row, the duplicates gone", () => {
    // 8 messages on the 15th, 8 on the 16th; the refetch repeats 2 of them.
    assertEquals(ml.length, 16);
    assertEquals(new Set(ml.map((r) => r.message_id)).size, 16);
    assertEquals(summary.courses[0]!.duplicatesDropped, 2);
    assertEquals(summary.courses.map((c) => [c.courseId, c.filesListed, c.messages, c.rowsWritten]), [
      ["ml-zoomcamp", 3, 18, 16],
      ["de-zoomcamp", 1, 2, 2],
    ]);
  });
  await t.step("the newest version of an edited message wins", () => {
    const edited = ml.find((r) => r.ts_raw === "1705401000.000600")!;
    assertEquals(edited.text, "What is the passing score for the midterm?");
    assertEquals(edited.edited_ts, 1705402100000000n);
    assertEquals(edited.source_file_path, `${ML_RAW}/day=16/2024-01-16-refetch.json`);
  });
  await t.step("ts matches ts_raw to the microsecond", () => {
    for (const r of ml) {
      const [s, f = ""] = r.ts_raw.split(".");
      assertEquals(r.ts, BigInt(s!) * 1_000_000n + BigInt(f.padEnd(6, "0")));
    }
  });
  await t.step("thread heads include unanswered questions; replies are not heads", () => {
    const heads = ml.filter((r) => r.is_thread_head).map((r) => r.ts_raw);
    ok(heads.includes("1705316400.654321"));
    ok(!heads.includes("1705399500.000200"));
    assertEquals(ml.filter((r) => !r.is_thread_head).length, 4);
  });
  await t.step("slackdump escapes read as plain text", async () => {
    const de = await readBronze(lake, "de-zoomcamp");
    assertEquals(de[0]!.text_plain, "Can't connect to postgres @U02FFFFFFF6 & port 5432 is open");
    assertEquals(de[1]!.text_plain, "Check the docs");
  });
  await t.step("no token is left anywhere in bronze", async () => {
    for (const [key, bytes] of await snapshot(lake, "bronze/")) {
      assertEquals(/xox[a-z]-/i.test(dec(bytes)), false, key);
    }
  });
});

Deno.test("ingest() run twice in a row changes nothing", async () => {
  const lake = await cleanRun();
  const before = await snapshot(lake, "bronze/");
  const manifest = dec(await lake.read(manifestKey("ml-zoomcamp")));
  const second = await ingest(lake, { courses: COURSES });
  assertEquals(second.courses.map((c) => [c.filesChanged, c.partitionsWritten]), [[0, 0], [0, 0]]);
  assertEquals(await snapshot(lake, "bronze/"), before);
  assertEquals(dec(await lake.read(manifestKey("ml-zoomcamp"))), manifest);
});

Deno.test("ingest() rewrites only the partitions a changed file touches", async () => {
  const lake = await cleanRun();
  const before = await snapshot(lake, "bronze/");
  const key = `${ML_RAW}/day=15/2024-01-15.json`;
  const msgs = JSON.parse(dec(await lake.read(key)));
  msgs.push({ type: "message", ts: "1705350000.000777", user: "U1", text: "A late addition" });
  await lake.write(key, enc(JSON.stringify(msgs)));
  const s = await ingest(lake, { courses: COURSES });
  assertEquals([s.courses[0]!.filesChanged, s.courses[0]!.partitionsWritten], [1, 1]);
  const after = await snapshot(lake, "bronze/");
  const changed = [...after.keys()].filter((k) => dec(after.get(k)!) !== dec(before.get(k) ?? new Uint8Array()));
  assertEquals(changed.map((k) => parsePartitionKey(k)!.day), ["2024-01-15"]);
  assertEquals((await readBronze(lake, "ml-zoomcamp")).length, 17);
});

/** A lake whose writes fail from the n-th on, like a process killed mid-run. */
class CrashingLake implements Lake {
  writes = 0;
  constructor(readonly inner: Lake, readonly crashAt: number) {}
  get url() {
    return this.inner.url;
  }
  list(prefix: string): AsyncIterable<LakeEntry> {
    return this.inner.list(prefix);
  }
  read(key: string) {
    return this.inner.read(key);
  }
  readStream(key: string) {
    return this.inner.readStream(key);
  }
  write(key: string, data: Uint8Array, options?: WriteOptions) {
    if (++this.writes >= this.crashAt) return Promise.reject(new Error(`crash at write ${this.writes}`));
    return this.inner.write(key, data, options);
  }
  writeIfAbsent(key: string, data: Uint8Array, options?: WriteOptions) {
    // Leases are not counted: a crash is simulated by failed writes, a kill's lease by its expiry.
    return this.inner.writeIfAbsent(key, data, options);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  stat(key: string) {
    return this.inner.stat(key);
  }
}

Deno.test("ingest() interrupted at any point leaves valid bronze, and the next run completes it", async (t) => {
  const expected = {
    ml: stable(await readBronze(await cleanRun(), "ml-zoomcamp")),
    de: stable(await readBronze(await cleanRun(), "de-zoomcamp")),
  };
  await t.step("stopped by a signal after the first partition", async () => {
    const lake = new MemoryLake();
    await seedRaw(lake);
    const controller = new AbortController();
    const options: IngestOptions = {
      courses: COURSES,
      checkpointEvery: 1,
      onProgress: (p) => {
        if (p.phase === "write" && p.done === 1) controller.abort();
      },
      signal: controller.signal,
    };
    await assertRejects(() => ingest(lake, options), DOMException, "aborted");
    // What is there is readable and holds only correct rows.
    const partial = stable(await readBronze(lake, "ml-zoomcamp"));
    assertEquals(partial.length > 0 && partial.length < expected.ml.length, true);
    for (const r of partial) assertEquals(expected.ml.find((e) => e.message_id === r.message_id), r);
    const s = await ingest(lake, { courses: COURSES });
    assertEquals(s.courses[0]!.filesChanged > 0, true);
    assertEquals(stable(await readBronze(lake, "ml-zoomcamp")), expected.ml);
    assertEquals(stable(await readBronze(lake, "de-zoomcamp")), expected.de);
  });
  // The clean run makes 13 writes: each of the 4 partitions is followed by its change record and a
  // manifest (checkpointEvery 1), then the run record.
  for (let crashAt = 1; crashAt <= 13; crashAt++) {
    await t.step(`killed at write ${crashAt}`, async () => {
      const lake = new MemoryLake();
      await seedRaw(lake);
      await assertRejects(
        () => ingest(new CrashingLake(lake, crashAt), { courses: COURSES, checkpointEvery: 1 }),
        Error,
        `crash at write ${crashAt}`,
      );
      for (const r of stable(await readBronze(lake, "ml-zoomcamp"))) {
        assertEquals(expected.ml.find((e) => e.message_id === r.message_id), r);
      }
      await ingest(lake, { courses: COURSES });
      assertEquals(stable(await readBronze(lake, "ml-zoomcamp")), expected.ml);
      assertEquals(stable(await readBronze(lake, "de-zoomcamp")), expected.de);
      const third = await ingest(lake, { courses: COURSES });
      assertEquals(third.courses.every((c) => c.partitionsWritten === 0), true);
    });
  }
});

Deno.test("ingest() quarantines bad input with its reason and keeps every valid message", async (t) => {
  const lake = new MemoryLake();
  await seedRaw(lake);
  const badKeys = await copyFixtures(lake, "bad", "raw/slack/ml-zoomcamp/year=2024/month=02/day=01");
  const s = await ingest(lake, { courses: COURSES });
  const ml = s.courses[0]!;
  const byFile = (name: string) => s.quarantine.filter((q) => q.file.endsWith(`/${name}`));

  await t.step("valid messages of bad files land", async () => {
    const rows = await readBronze(lake, "ml-zoomcamp");
    const texts = rows.filter((r) => r.ts < 1705400000000000n || r.ts > 1705500000000000n).map((r) => r.text);
    for (const text of ["ok one", "ok two", "valid among junk", "fine", "valid utf-8 café", "complete"]) {
      ok(texts.includes(text), text);
    }
    assertEquals(rows.length, 16 + 6);
  });
  await t.step("each problem is named with its file and reason", () => {
    assertEquals(byFile("bad_json.json").map((q) => q.entry), [1]);
    assertEquals(byFile("not_array.json").map((q) => q.reason), [
      "Top level is an object, not an array of messages: a raw day file must be a JSON array",
    ]);
    assertEquals(byFile("not_objects.json").map((q) => q.reason), [
      "Entry 0: Entry is a number, not a message object",
      "Entry 1: Entry is a string, not a message object",
      "Entry 2: Entry is null, not a message object",
      "Entry 3: Entry is an array, not a message object",
    ]);
    assertEquals(byFile("missing_ts.json").map((q) => q.reason), [
      "Entry 0: Message has no ts",
      'Entry 1: Message ts "yesterday" is not a Slack timestamp',
    ]);
    assertEquals(byFile("invalid_utf8.json").map((q) => q.reason), ["Entry 0 is not valid UTF-8"]);
    assertEquals(byFile("empty.json").map((q) => q.entry), [null]);
    assertEquals(byFile("truncated.json").map((q) => q.reason), [
      "File ends inside entry 1: it looks truncated, fetch it again",
    ]);
    assertEquals(ml.quarantined, 11);
    assertEquals(ml.filesFailed, 2);
  });
  await t.step("the report is in the lake, one JSON line per item", async () => {
    ok(s.quarantineKey?.startsWith("_state/ingest/quarantine/"));
    const lines = dec(await lake.read(s.quarantineKey!)).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.length, 11);
    assertEquals(lines[0].course_id, "ml-zoomcamp");
    ok(badKeys.includes(lines[0].file));
  });
  await t.step("files rejected whole are retried and reported again; partly bad ones are not", async () => {
    const again = await ingest(lake, { courses: COURSES });
    assertEquals(again.quarantine.map((q) => q.file.split("/").pop()).sort(), ["empty.json", "not_array.json"]);
    assertEquals((await readBronze(lake, "ml-zoomcamp")).length, 22);
  });
  await t.step("a fixed file is picked up", async () => {
    await lake.write(
      badKeys.find((k) => k.endsWith("empty.json"))!,
      enc('[{"ts":"1706745600.000001","text":"fixed"}]'),
    );
    await lake.delete(badKeys.find((k) => k.endsWith("not_array.json"))!);
    const fixed = await ingest(lake, { courses: COURSES });
    assertEquals(fixed.quarantine, []);
    assertEquals((await readBronze(lake, "ml-zoomcamp")).length, 23);
  });
});

Deno.test("ingest() streams files over the large-file size and gets the same rows", async () => {
  const messages = Array.from({ length: 3000 }, (_, i) => ({
    type: "message",
    ts: `${1706000000 + i * 37}.${String(i).padStart(6, "0")}`,
    user: "U1",
    text: `message ${i} with some text, "quotes" and ] brackets } inside`,
  }));
  const body = enc(JSON.stringify(messages).replace("},{", "},\n oops,{")); // one broken entry
  const run = async (largeFileBytes: number) => {
    const lake = new MemoryLake();
    await lake.write("raw/slack/ml-zoomcamp/big.json", body);
    const s = await ingest(lake, { courses: [COURSES[0]!], largeFileBytes });
    return { s, rows: stable(await readBronze(lake, "ml-zoomcamp")) };
  };
  const streamed = await run(1024);
  const whole = await run(1 << 30);
  assertEquals(streamed.rows.length, 3000);
  assertEquals(streamed.rows, whole.rows);
  assertEquals(streamed.s.quarantine.map((q) => q.reason), whole.s.quarantine.map((q) => q.reason));
  assertEquals(streamed.s.quarantine.length, 1);
});

Deno.test("ingest() --since/--until reads only the raw files filed in the window", async () => {
  const lake = new MemoryLake();
  await seedRaw(lake);
  const s = await ingest(lake, { courses: [COURSES[0]!], since: "2024-01-16", until: "2024-01-16" });
  assertEquals([s.courses[0]!.filesListed, s.courses[0]!.filesChanged], [2, 2]);
  assertEquals(await partitions(lake, "ml-zoomcamp"), ["2024-01-16", "2024-01-17"]);
  const all = await ingest(lake, { courses: [COURSES[0]!] });
  assertEquals(all.courses[0]!.filesChanged, 1);
  assertEquals(await partitions(lake, "ml-zoomcamp"), ["2024-01-15", "2024-01-16", "2024-01-17"]);
});

Deno.test("ingest() never drops rows of a raw file that later turns unreadable", async () => {
  const lake = await cleanRun();
  const key16 = `${ML_RAW}/day=16/2024-01-16.json`;
  await lake.write(key16, enc("")); // the 16th is now broken
  // The refetch changes too, which forces the 16th's partition to be rebuilt.
  const refetchKey = `${ML_RAW}/day=16/2024-01-16-refetch.json`;
  const refetch = JSON.parse(dec(await lake.read(refetchKey)));
  refetch.push({ type: "message", ts: "1705403000.000800", user: "U1", text: "new" });
  await lake.write(refetchKey, enc(JSON.stringify(refetch)));
  const s = await ingest(lake, { courses: [COURSES[0]!] });
  assertEquals(s.quarantine.map((q) => q.file), [key16]);
  const rows = await readBronze(lake, "ml-zoomcamp");
  assertEquals(rows.length, 17);
  ok(rows.some((r) => r.text === "A day later: did that work?"));
});

Deno.test("ingest() reads a course whose raw_prefix is another location", async () => {
  const lake = new MemoryLake("main");
  const landing = new MemoryLake("landing");
  await copyFixtures(landing, "raw/ml-zoomcamp", "ml");
  const c = course("ml-zoomcamp", { rawPrefix: "memory://landing/ml", rawIsUrl: true });
  await assertRejects(() => ingest(lake, { courses: [c] }), TypeError, "cannot open URLs");
  const s = await ingest(lake, {
    courses: [c],
    openSource: (url) => {
      assertEquals(url, "memory://landing/ml");
      return landing;
    },
  });
  assertEquals(s.courses[0]!.rowsWritten, 16);
  const rows = await readBronze(lake, "ml-zoomcamp");
  ok(rows.every((r) => r.source_file_path.startsWith("memory://landing/ml/ml/")));
});

Deno.test("ingest() refuses a corrupt manifest with what to do", async () => {
  const lake = await cleanRun();
  await lake.write(manifestKey("ml-zoomcamp"), enc("{nope"));
  await assertRejects(
    () => ingest(lake, { courses: COURSES }),
    SyntaxError,
    "Ingest manifest _state/ingest/ml-zoomcamp/manifest.json is not valid JSON",
  );
});

Deno.test("ingest() with parallel workers writes the same bronze as one thread", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const { LocalLake } = await import("../../lib/lake.ts");
    const [one, two] = dirs.map((d) => new LocalLake(d));
    await seedRaw(one!);
    await seedRaw(two!);
    await ingest(one!, { courses: COURSES });
    const s = await ingest(two!, { courses: COURSES, parallel: { lakeUrl: dirs[1]!, workers: 2 } });
    assertEquals(s.courses.map((c) => [c.courseId, c.rowsWritten]), [["ml-zoomcamp", 16], ["de-zoomcamp", 2]]);
    for (const c of ["ml-zoomcamp", "de-zoomcamp"]) {
      assertEquals(stable(await readBronze(two!, c)), stable(await readBronze(one!, c)));
    }
    // The bad-input report comes back from the workers too.
    await copyFixtures(two!, "bad", "raw/slack/de-zoomcamp/year=2024/month=02/day=01");
    const bad = await ingest(two!, { courses: COURSES, parallel: { lakeUrl: dirs[1]!, workers: 2 } });
    assertEquals(bad.quarantine.length, 11);
    ok(bad.quarantineKey);
  } finally {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("ingest killed with SIGKILL mid-run leaves readable, correct bronze, and the next run completes it", async () => {
  const { generateDay, corpusDays, corpusConfig } = await import("../../bench/corpus_gen.ts");
  const { LocalLake } = await import("../../lib/lake.ts");
  const { rawDayKey, PART_FILE } = await import("../../lib/layout.ts");
  const root = await Deno.makeTempDir({ prefix: "ingest-kill-" });
  const [killed, clean] = [`${root}/killed`, `${root}/clean`];
  const config = `${root}/courses.yml`;
  try {
    await Deno.writeTextFile(config, corpusConfig(1));
    for (const dir of [killed, clean]) {
      const lake = new LocalLake(dir);
      for (const day of corpusDays(60, "2024-07-01")) {
        await lake.write(
          rawDayKey("raw/slack/bench-1", day),
          enc(JSON.stringify(generateDay(0, day, { perDay: 400, seed: 3 }))),
        );
      }
    }
    const args = (
      lake: string,
    ) => [
      "run",
      "-A",
      "--quiet",
      fixtureUrl("../../ingest/ingest.ts"),
      "--lake",
      lake,
      "--config",
      config,
      "--workers",
      "1",
    ];
    const child = new Deno.Command(Deno.execPath(), { args: args(killed), stdout: "null", stderr: "null" }).spawn();
    // Kill it as soon as a few partitions are on disk.
    const partitions = async () => {
      let n = 0;
      for await (const e of new LocalLake(killed).list("bronze/")) if (e.key.endsWith(PART_FILE)) n++;
      return n;
    };
    // With a deadline: a child that dies early or never writes fails the test instead of hanging it.
    const deadline = Date.now() + 120_000;
    let exited = false;
    child.status.then(() => exited = true);
    while ((await partitions()) < 5) {
      if (exited) throw new Error("the ingest child exited before it could be killed");
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error("the ingest child wrote fewer than 5 partitions in 120 s");
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill("SIGKILL");
    const status = await child.status;
    assertEquals(status.signal, "SIGKILL", "the run finished before it could be killed");
    const partial = await partitions();
    ok(partial >= 5 && partial < 60, `${partial} partitions`);

    await new Deno.Command(Deno.execPath(), { args: args(clean), stdout: "null", stderr: "null" }).output();
    const expected = stable(await readBronze(new LocalLake(clean), "bench-1"));
    const byId = new Map(expected.map((r) => [r.message_id, r]));
    // Every file left behind is a whole, readable partition with correct rows.
    for (const r of stable(await readBronze(new LocalLake(killed), "bench-1"))) assertEquals(byId.get(r.message_id), r);
    const rerun = await new Deno.Command(Deno.execPath(), { args: args(killed), stdout: "null", stderr: "null" })
      .output();
    assertEquals(rerun.code, 0);
    assertEquals(stable(await readBronze(new LocalLake(killed), "bench-1")), expected);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

function fixtureUrl(rel: string): string {
  return new URL(rel, import.meta.url).pathname;
}
