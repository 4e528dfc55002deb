// Nothing leaks, black-box through the tasks: what a loopback LLM receives, quarantine reports and logs.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import * as path from "node:path";
import { assertChatRequests, capture, dec, enc, fixture, readBronze, startFakeLlm, withEnv } from "./_helpers.ts";
import { PERSONAL, SECRETS } from "./_secrets.ts";
import { main as ingestMain } from "../ingest/ingest.ts";
import { main as importMain } from "../ingest/import_export.ts";
import { main as labelBatchMain } from "../classify/label_batch.ts";
import { FAQ_DEFINITION } from "../lib/classify/llm.ts";
import { GOLD_COLUMNS, type GoldRow } from "../lib/classify/label.ts";
import { LocalLake } from "../lib/lake.ts";
import { coursePrefix } from "../lib/layout.ts";
import { readParquetRows } from "../lib/parquet.ts";

const CONFIG = fixture("../courses.yml");
const TINY = fixture("models/tiny");
const DAY_KEY = "raw/slack/ml-zoomcamp/year=2024/month=03/day=01/2024-03-01.json";
const BASE_TS = 1709251200; // 2024-03-01T00:00:00Z

/** Every string of every file under a folder, by relative path. */
async function allFiles(dir: string, rel = ""): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(path.join(dir, rel))) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) { for (const [k, v] of await allFiles(dir, r)) out.set(k, v); }
    else out.set(r, dec(await Deno.readFile(path.join(dir, r))));
  }
  return out;
}

function assertNoSecret(where: string, text: string, items: readonly { kind: string; secret: string }[]): void {
  for (const s of items) ok(!text.includes(s.secret), `${s.kind} (${s.secret}) leaked into ${where}`);
}

async function readGold(lake: LocalLake): Promise<GoldRow[]> {
  const rows: GoldRow[] = [];
  for await (const e of lake.list(coursePrefix("gold", "ml-zoomcamp"))) {
    rows.push(...readParquetRows<GoldRow>(GOLD_COLUMNS, await lake.read(e.key)));
  }
  return rows;
}

Deno.test("label:batch sends the LLM no secret and no personal data, in the request shape it must", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lake-leak-" });
  const all = [...SECRETS, ...PERSONAL];
  const messages = all.map((s, i) => ({
    type: "message",
    user: "U0AAAAAAA",
    ts: `${BASE_TS + i * 60}.000100`,
    text: `How do I fix this, anyone? ${s.text}`,
  }));
  const llm = startFakeLlm(() => undefined);
  const key = "sk-proj-TheRunnersOwnKey0123456789abcdef";
  try {
    const lake = new LocalLake(dir);
    await lake.write(DAY_KEY, enc(JSON.stringify(messages)));
    const ingested = await capture(() => ingestMain(["--lake", dir, "--config", CONFIG, "--course", "ml-zoomcamp"]));
    assertEquals(ingested.code, 0, ingested.err);
    const common = ["--lake", dir, "--config", CONFIG, "--model", TINY, "--course", "ml-zoomcamp", "--low", "0"];
    const env = { OPENAI_API_KEY: key, OPENAI_BASE_URL: llm.baseURL, LLM_MODEL: "leak-check-model" };
    const r = await withEnv(env, () => capture(() => labelBatchMain([...common, "--high", "1"])));
    assertEquals(r.code, 0, r.err);

    await t.step("every message went to the LLM, in the shape it must", async () => {
      assertChatRequests(llm, "leak-check-model", FAQ_DEFINITION);
      // Texts that redact to the same words are asked once, then served from the cache.
      assertEquals(new Set(llm.received).size, llm.log.length);
      ok(llm.log.length >= all.length / 2, `${llm.log.length} requests`);
      const gold = await readGold(lake);
      assertEquals(gold.length, all.length);
      ok(gold.every((g) => g.decision_source === "llm" && ["answered", "cached"].includes(g.llm_status)));
    });
    await t.step("bronze still holds the texts, so redaction is what kept them from the LLM", async () => {
      const plain = (await readBronze(lake, "ml-zoomcamp")).map((b) => b.text_plain).join("\n");
      const slack = (s: { text: string }) => /xox[a-z]-|xapp-|files\.slack\.com/.test(s.text);
      const kept = all.filter((s) => !slack(s) && s.kind !== "raw mention with a name" && s.kind !== "raw mention");
      for (const s of kept) ok(plain.includes(s.secret), `${s.kind} is not in bronze: the check proves nothing`);
    });
    await t.step("no secret and no personal data in any request", () => {
      for (const req of llm.log) {
        assertNoSecret("an LLM request", req.raw, all);
        assertNoSecret("an LLM request", req.body.messages.map((m) => m.content).join("\n"), all);
      }
    });
    await t.step("the question itself still reaches it", () => {
      ok(llm.log.every((req) => req.body.messages[1]!.content.startsWith("How do I fix this, anyone? ")));
    });
  } finally {
    await llm.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LLM errors stored in gold (llm_reason) echo no secret and not the API key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lake-leak-" });
  const key = "sk-proj-TheRunnersOwnKey0123456789abcdef";
  const slack = "xoxb-9999-8888-echoedtoken";
  // A provider that quotes the key and the request in its error, and a reply that is not JSON but echoes secrets.
  const llm = startFakeLlm((body) =>
    body.messages[1]!.content.includes("first")
      ? {
        status: 401,
        body: JSON.stringify({
          error: { message: `Incorrect API key provided: ${key}. Request had ${slack}`, type: "invalid_request_error" },
        }),
      }
      : { status: 200, content: `not json, but ${slack} and ghp_abcdefghijklmnopqrstuvwxyz0123456789` }
  );
  try {
    const lake = new LocalLake(dir);
    const msgs = ["first", "second"].map((w, i) => ({
      type: "message",
      user: "U0AAAAAAA",
      ts: `${BASE_TS + i}.000001`,
      text: `How do I set the key, ${w} question?`,
    }));
    await lake.write(DAY_KEY, enc(JSON.stringify(msgs)));
    const ingested = await capture(() => ingestMain(["--lake", dir, "--config", CONFIG, "--course", "ml-zoomcamp"]));
    assertEquals(ingested.code, 0, ingested.err);
    const args = [
      "--lake",
      dir,
      "--config",
      CONFIG,
      "--model",
      TINY,
      "--low",
      "0",
      "--high",
      "1",
      "--llm-max-calls",
      "9",
    ];
    const env = { OPENAI_API_KEY: key, OPENAI_BASE_URL: llm.baseURL, LLM_MODEL: "m" };
    const r = await withEnv(env, () => capture(() => labelBatchMain([...args, "--course", "ml-zoomcamp"])));
    assertEquals(r.code, 1, r.err);
    const gold = await readGold(lake);
    assertEquals(gold.map((g) => g.llm_status).sort(), ["failed", "failed"]);
    for (const g of gold) ok(g.llm_reason && g.llm_reason.length > 0);
    ok(gold.some((g) => g.llm_reason!.includes("401")), JSON.stringify(gold.map((g) => g.llm_reason)));
    ok(gold.some((g) => g.llm_reason!.startsWith("LLM reply is not JSON")));
    for (const [name, text] of await allFiles(dir)) {
      for (const secret of [key, slack, "ghp_abcdefghij", "TheRunnersOwnKey"]) {
        ok(!text.includes(secret), `${secret} leaked into ${name}`);
      }
    }
    for (const secret of [key, slack, "TheRunnersOwnKey"]) ok(!`${r.out}\n${r.err}`.includes(secret), secret);
  } finally {
    await llm.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A raw day file with one good message, and every secret inside every kind of bad entry. */
function badDayFile(): Uint8Array {
  const entries: string[] = [JSON.stringify({ type: "message", user: "U1", ts: `${BASE_TS}.000001`, text: "fine" })];
  SECRETS.forEach((s, i) => {
    entries.push(JSON.stringify({ type: "message", text: s.text })); // no ts
    entries.push(JSON.stringify({ type: "message", ts: s.text, text: "bad ts" })); // the reason quotes ts
    entries.push(`{"type": "message", "ts": "${BASE_TS + 1 + i}.000001", "text": ${JSON.stringify(s.text)} oops}`);
    entries.push(JSON.stringify(s.text)); // not an object
  });
  const bad = new Uint8Array([...enc(`[${entries.join(",\n")},\n`), 0xff, 0xfe, ...enc(`"${SECRETS[0]!.text}",\n`)]);
  // The file ends inside an entry holding a secret: truncated.
  return new Uint8Array([...bad, ...enc(`{"type": "message", "text": ${JSON.stringify(SECRETS[1]!.text)}`)]);
}

Deno.test("a secret inside a quarantined entry reaches neither the report nor the logs", async (t) => {
  for (const format of ["json", "text"]) {
    await t.step(`ingest --log-format ${format}`, async () => {
      const dir = await Deno.makeTempDir({ prefix: "lake-leak-" });
      try {
        await new LocalLake(dir).write(DAY_KEY, badDayFile());
        const r = await capture(() =>
          ingestMain(["--lake", dir, "--config", CONFIG, "--course", "ml-zoomcamp", "--log-format", format])
        );
        assertEquals(r.code, 1, r.err);
        assertNoSecret("ingest's output", `${r.out}\n${r.err}`, SECRETS);
        const files = await allFiles(dir);
        const reports = [...files.keys()].filter((k) => k.startsWith("_state/ingest/quarantine/"));
        assertEquals(reports.length, 1);
        const records = files.get(reports[0]!)!.trim().split("\n").map((l) => JSON.parse(l));
        ok(records.length >= SECRETS.length * 4, `${records.length} records`);
        ok(records.some((q) => q.excerpt?.includes("[REDACTED]")), "excerpts are kept, redacted");
        for (const [name, text] of files) if (!name.startsWith("raw/")) assertNoSecret(name, text, SECRETS);
        if (format === "json") {
          const events = r.out.trim().split("\n").map((l) => JSON.parse(l));
          assertEquals(events.filter((e) => e.event === "quarantine").length, records.length);
        }
        const bronze = await readBronze(new LocalLake(dir), "ml-zoomcamp");
        assertEquals(bronze.map((b) => b.text), ["fine"]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
  await t.step("import:export problems and their report", async () => {
    const dir = await Deno.makeTempDir({ prefix: "export-leak-" });
    try {
      const exp = path.join(dir, "export");
      await Deno.mkdir(path.join(exp, "course-ml-zoomcamp"), { recursive: true });
      await Deno.writeTextFile(
        path.join(exp, "channels.json"),
        JSON.stringify([{ id: "C1", name: "course-ml-zoomcamp" }]),
      );
      await Deno.writeFile(path.join(exp, "course-ml-zoomcamp", "2024-03-01.json"), badDayFile());
      const lakeDir = path.join(dir, "lake");
      for (const format of ["json", "text"]) {
        const r = await capture(() =>
          importMain([
            exp,
            "--channel",
            "course-ml-zoomcamp",
            "--course",
            "ml-zoomcamp",
            "--lake",
            lakeDir,
            "--config",
            CONFIG,
            "--log-format",
            format,
          ])
        );
        assertEquals(r.code, 1, r.err);
        assertNoSecret(`import's ${format} output`, `${r.out}\n${r.err}`, SECRETS);
      }
      const files = await allFiles(lakeDir);
      const reports = [...files.keys()].filter((k) => k.startsWith("_state/ingest/quarantine/import-"));
      ok(reports.length >= 1);
      for (const k of reports) {
        assertNoSecret(k, files.get(k)!, SECRETS);
        ok(files.get(k)!.includes("[REDACTED]"));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
