// Secrets a message holds, and the LLM key, reach neither the LLM, nor the labels, nor the CSV, nor the output.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { capture, course, enc, fixture, startFakeLlm, withEnv } from "../_helpers.ts";
import { main as bootstrapMain } from "../../classify/label_bootstrap.ts";
import { main as exportMain } from "../../classify/labels_export.ts";
import { ingest } from "../../lib/ingest/ingest.ts";
import { LocalLake } from "../../lib/lake.ts";

const KEY_VALUE = "sk-ENVKEY-DONOTLEAK-1234567890";
const SECRETS = ["sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXyz0123456789", "live-SECRET-98765", "xoxb-1234567890-abcdefghij"];
const TEXTS = [
  `How do I fix this? my token is ${SECRETS[2]} and key ${SECRETS[0]} fails?`,
  `Why does OPENAI_API_KEY=${SECRETS[1]} not work with the homework?`,
  "How do I install docker for week 1?",
];

Deno.test("label:bootstrap keeps secrets and the LLM key out of requests, labels, CSV and output", async () => {
  const dir = await Deno.makeTempDir();
  const llm = startFakeLlm(() => undefined);
  try {
    const lake = new LocalLake(`${dir}/lake`);
    const msgs = TEXTS.map((text, i) => ({ type: "message", ts: `${1704888000 + i}.000100`, user: "U01ABCDEF", text }));
    await lake.write(`raw/slack/ml-zoomcamp/year=2024/month=01/day=10/2024-01-10.json`, enc(JSON.stringify(msgs)));
    await ingest(lake, { courses: [course("ml-zoomcamp")] });
    const env = { OPENAI_API_KEY: KEY_VALUE, OPENAI_BASE_URL: llm.baseURL, LLM_MODEL: "fake" };
    const common = ["--lake", `${dir}/lake`, "--config", fixture("../courses.yml")];
    const runs = await withEnv(env, async () => [
      await capture(() => bootstrapMain([...common, "--course", "ml-zoomcamp", "--log-format", "json"])),
      await capture(() =>
        exportMain([...common, "--course", "ml-zoomcamp", "--out", `${dir}/ml.csv`, "--log-format", "json"])
      ),
    ]);
    assertEquals(runs.map((r) => r.code), [0, 0], runs.map((r) => r.err).join("\n"));
    assertEquals(llm.received.length, 3);
    const where: string[] = [...llm.received, ...runs.flatMap((r) => [r.out, r.err])];
    for await (const e of lake.list("")) {
      if (!e.key.startsWith("raw/") && !e.key.startsWith("bronze/")) {
        where.push(new TextDecoder().decode(await lake.read(e.key)));
      }
    }
    where.push(await Deno.readTextFile(`${dir}/ml.csv`));
    for (const secret of [KEY_VALUE, ...SECRETS]) {
      for (const text of where) ok(!text.includes(secret), `${secret} in ${text.slice(0, 300)}`);
    }
    ok(where.some((t) => t.includes("OPENAI_API_KEY=[REDACTED] not work")));
  } finally {
    await llm.close();
    await Deno.remove(dir, { recursive: true });
  }
});
