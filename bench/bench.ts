/**
 * `deno task bench`: side-by-side benchmarks, medians over alternating runs,
 * each figure a ratio against its anchor. See BENCHMARKS.md for the figures.
 *
 *   --only ingest|rss|label|daily   one section (default: all)
 *   --runs N                        runs of each side (default 3)
 *   --work DIR                      scratch folder (default /tmp/slack-faq-bench)
 *
 * @module
 */

import { parseArgs } from "node:util";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import S3rver from "s3rver";
import { corpusConfig, corpusCourses, corpusDays, generateDay } from "./corpus_gen.ts";
import { LocalLake } from "../lib/lake.ts";
import { rawDayKey } from "../lib/layout.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DENO = Deno.execPath();
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Run {
  ms: number;
  rssKb?: number;
  stdout: string;
}

async function run(args: string[], env: Record<string, string> = {}, timed = true): Promise<Run> {
  const useTime = timed && (await exists("/usr/bin/time"));
  const cmd = useTime ? "/usr/bin/time" : args[0]!;
  const cmdArgs = useTime ? ["-f", "RSS_KB=%M", ...args] : args.slice(1);
  const t0 = performance.now();
  const out = await new Deno.Command(cmd, { args: cmdArgs, cwd: ROOT, env, stdout: "piped", stderr: "piped" }).output();
  const ms = performance.now() - t0;
  const stderr = dec.decode(out.stderr);
  if (!out.success && out.code !== 1) throw new Error(`${args.join(" ")} failed (${out.code}): ${stderr.slice(-2000)}`);
  const rss = /RSS_KB=(\d+)/.exec(stderr)?.[1];
  return { ms, rssKb: rss ? Number(rss) : undefined, stdout: dec.decode(out.stdout) };
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Prints a result line at once, so a long section shows what it has. */
const log = (line: string) => console.log(`- ${line}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function writeCorpus(dir: string, messages: number, courses: number, days: number, end = "2024-07-01") {
  const lake = new LocalLake(dir);
  const perDay = Math.max(1, Math.round(messages / (courses * days)));
  for (const [ci, course] of corpusCourses(courses).entries()) {
    for (const day of corpusDays(days, end)) {
      await lake.write(
        rawDayKey(`raw/slack/${course}`, day),
        enc.encode(JSON.stringify(generateDay(ci, day, { perDay, seed: 1 }))),
      );
    }
  }
  await Deno.writeTextFile(`${dir}.courses.yml`, corpusConfig(courses));
}

// The same flags as `deno task ingest`, with the write scope widened to the scratch folder.
const INGEST = [
  DENO,
  "run",
  "--v8-flags=--max-old-space-size=384",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-net",
  "ingest/ingest.ts",
];
const CLASSIFY = [
  DENO,
  "run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-net",
  "--allow-ffi",
];
const LABEL = [...CLASSIFY, "classify/label_batch.ts"];
const DAILY = [...CLASSIFY, "classify/label_daily.ts"];

async function resetBronze(lake: string) {
  for (const p of ["bronze", "_state", "gold"]) {
    await Deno.remove(path.join(lake, p), { recursive: true }).catch(() => {});
  }
}

async function benchIngest(work: string, runs: number): Promise<string[]> {
  const lake = path.join(work, "corpus-200k");
  if (!(await exists(`${lake}.courses.yml`))) await writeCorpus(lake, 200_000, 2, 60);
  const ours: number[] = [];
  const duck: number[] = [];
  for (let i = 0; i < runs; i++) {
    await resetBronze(lake);
    ours.push((await run([...INGEST, "--lake", lake, "--config", `${lake}.courses.yml`])).ms);
    const out = path.join(work, "duck-out");
    await Deno.remove(out, { recursive: true }).catch(() => {});
    duck.push((await run([DENO, "run", "-A", "bench/duckdb_ingest.ts", `${lake}/raw/slack/*/*/*/*/*.json`, out])).ms);
  }
  const ratio = median(ours) / median(duck);
  return [
    `ingest, 200k messages (2 courses × 60 days): ours ${fmt(median(ours))} (runs ${ours.map(fmt).join(", ")}), ` +
    `DuckDB read_json→COPY zstd ${fmt(median(duck))} (runs ${duck.map(fmt).join(", ")}); ratio ${
      ratio.toFixed(2)
    } (target ≤ 2.0)`,
    `ingest rows/s: ${(200_000 / (median(ours) / 1000)).toFixed(0)} (dlt publishes ~45k rows/s with 3 workers)`,
  ];
}

async function benchRss(work: string): Promise<string[]> {
  for (const [n, days] of [[200_000, 60], [1_000_000, 300]] as const) {
    const lake = path.join(work, `corpus-rss-${n}`);
    if (!(await exists(`${lake}.courses.yml`))) await writeCorpus(lake, n, 2, days);
    await resetBronze(lake);
    const r = await run([...INGEST, "--lake", lake, "--config", `${lake}.courses.yml`]);
    log(
      `peak RSS of ingest at ${n} messages: ${((r.rssKb ?? 0) / 1024).toFixed(0)} MiB, ${
        fmt(r.ms)
      } (target ≤ 1024 MiB, flat)`,
    );
  }
  return [];
}

async function benchLabel(work: string, runs: number): Promise<string[]> {
  const model = path.join(work, "models", "minilm-l6");
  if (!(await exists(path.join(model, "onnx", "model_quantized.onnx")))) {
    await run(
      [DENO, "run", "-A", "classify/model_synth.ts", "--preset", "minilm-l6", "--out", model, "--quantized"],
      {},
      false,
    );
  }
  // A head for the synthetic model: trained on the fixture labels through the same code.
  const head = path.join(model, "head.json");
  if (!(await exists(head))) {
    await run(
      [
        DENO,
        "run",
        "-A",
        "classify/train.ts",
        "--labels",
        "fixtures/labels/train.jsonl",
        "--model",
        model,
        "--out",
        head,
        "--device",
        "cpu",
        "--dtype",
        "fp32",
      ],
      {},
      false,
    );
  }
  const lake = path.join(work, "corpus-label");
  if (!(await exists(`${lake}.courses.yml`))) await writeCorpus(lake, 4_000, 2, 2);
  await resetBronze(lake);
  await run([...INGEST, "--lake", lake, "--config", `${lake}.courses.yml`], {}, false);
  const variants = [["cpu", "fp32"], ["cpu", "q8"], ["wasm", "fp32"], ["wasm", "q8"]] as const;
  const results = new Map<string, number[]>([...variants.map(([d, t]) => [`${d} ${t}`, [] as number[]] as const), [
    "native",
    [],
  ]]);
  let texts = 0;
  for (let i = 0; i < runs; i++) {
    for (const [device, dtype] of variants) {
      await Deno.remove(path.join(lake, "gold"), { recursive: true }).catch(() => {});
      await Deno.remove(path.join(lake, "_state", "classify"), { recursive: true }).catch(() => {});
      const r = await run([
        ...LABEL,
        "--lake",
        lake,
        "--config",
        `${lake}.courses.yml`,
        "--model",
        model,
        "--device",
        device,
        "--dtype",
        dtype,
        "--log-format",
        "json",
      ]);
      results.get(`${device} ${dtype}`)!.push(r.ms);
      const s = JSON.parse(r.stdout.trim().split("\n").pop()!);
      texts = s.courses.reduce((n: number, c: { candidates: number }) => n + c.candidates, 0);
    }
    results.get("native")!.push((await run([DENO, "run", "-A", "bench/embed_only.ts", lake, model])).ms);
  }
  const native = median(results.get("native")!);
  log(
    `label:batch on ${texts} candidates of 4000 messages, minilm-l6 shape, 2 cores; anchor: transformers.js on native onnxruntime (fp32) embedding the same texts, ${
      fmt(native)
    } (${(texts / (native / 1000)).toFixed(0)} texts/s)`,
  );
  for (const [name, times] of results) {
    if (name === "native") continue;
    const m = median(times);
    log(
      `label:batch --device ${name.replace(" ", " --dtype ")}: ${fmt(m)} (runs ${times.map(fmt).join(", ")}), ${
        (texts / (m / 1000)).toFixed(0)
      } messages/s, ratio to native ${(m / native).toFixed(2)}`,
    );
  }
  return [];
}

/** An S3 server behind a proxy that counts requests by method. */
async function countingS3(dir: string) {
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    configureBuckets: [{ name: "lake", configs: [] }],
  });
  const addr = await server.run() as { port: number };
  const counts = { total: 0, list: 0, get: 0, put: 0, head: 0, delete: 0 };
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    counts.total++;
    if (req.method === "GET" && url.searchParams.has("list-type")) counts.list++;
    else if (req.method === "GET") counts.get++;
    else if (req.method === "PUT" || req.method === "POST") counts.put++;
    else if (req.method === "HEAD") counts.head++;
    else if (req.method === "DELETE") counts.delete++;
    const res = await fetch(`http://127.0.0.1:${addr.port}${url.pathname}${url.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  return {
    endpoint: `http://127.0.0.1:${proxy.addr.port}`,
    counts,
    reset: () => Object.keys(counts).forEach((k) => (counts[k as keyof typeof counts] = 0)),
    close: async () => {
      await proxy.shutdown();
      await server.close();
    },
  };
}

async function benchDaily(work: string, runs: number): Promise<string[]> {
  const model = "fixtures/models/tiny";
  const perDay = 500;
  const times: Record<number, number[]> = { 1: [], 365: [] };
  for (const history of [1, 365]) {
    for (let i = 0; i < runs; i++) {
      const lake = path.join(work, `daily-${history}`);
      await Deno.remove(lake, { recursive: true }).catch(() => {});
      await writeCorpus(lake, perDay * history, 1, history, "2024-07-01");
      const config = `${lake}.courses.yml`;
      await run([...INGEST, "--lake", lake, "--config", config], {}, false);
      await run([...DAILY, "--lake", lake, "--config", config, "--model", model], {}, false);
      // One new day arrives.
      await new LocalLake(lake).write(
        rawDayKey("raw/slack/bench-1", "2024-07-01"),
        enc.encode(JSON.stringify(generateDay(0, "2024-07-01", { perDay, seed: 1 }))),
      );
      const a = await run([...INGEST, "--lake", lake, "--config", config]);
      const b = await run([...DAILY, "--lake", lake, "--config", config, "--model", model]);
      times[history]!.push(a.ms + b.ms);
    }
  }
  log(
    `daily run (ingest + label:daily, one new day of ${perDay} messages): 1 day of history ${
      fmt(median(times[1]!))
    }, ` +
      `365 days ${fmt(median(times[365]!))}; ratio ${
        (median(times[365]!) / median(times[1]!)).toFixed(2)
      } (target ≤ 1.2)`,
  );

  // S3 requests of a daily run, counted at the server, for 30 and 365 days of history.
  for (const history of [30, 365]) {
    const dir = await Deno.makeTempDir({ prefix: "bench-s3-" });
    const s3 = await countingS3(dir);
    const env = {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_S3_FORCE_PATH_STYLE: "true",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/root",
    };
    try {
      const local = path.join(work, `s3-src-${history}`);
      await Deno.remove(local, { recursive: true }).catch(() => {});
      await writeCorpus(local, 100 * history, 1, history, "2024-07-01");
      const url = "s3://lake/p";
      const { S3Lake } = await import("../lib/lake_s3.ts");
      const remote = new S3Lake("lake", {
        prefix: "p",
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      });
      for await (const e of new LocalLake(local).list("raw/")) {
        await remote.write(e.key, await Deno.readFile(path.join(local, e.key)));
      }
      const config = `${local}.courses.yml`;
      await run([...INGEST, "--lake", url, "--config", config], env, false);
      await run([...DAILY, "--lake", url, "--config", config, "--model", model], env, false);
      await remote.write(
        rawDayKey("raw/slack/bench-1", "2024-07-01"),
        enc.encode(JSON.stringify(generateDay(0, "2024-07-01", { perDay: 100, seed: 1 }))),
      );
      s3.reset();
      // As the daily workflow runs it: no window, so a listing of the course's raw files (1 LIST per 1000 files).
      await run([...INGEST, "--lake", url, "--config", config], env, false);
      const ingestCounts = { ...s3.counts };
      s3.reset();
      await run([...DAILY, "--lake", url, "--config", config, "--model", model], env, false);
      log(
        `S3 requests of a daily run with ${history} days of history: ingest ${ingestCounts.total} ` +
          `(${ingestCounts.list} LIST, ${ingestCounts.get} GET, ${ingestCounts.head} HEAD, ${ingestCounts.put} PUT), ` +
          `label:daily ${s3.counts.total} (${s3.counts.list} LIST, ${s3.counts.get} GET, ${s3.counts.head} HEAD, ${s3.counts.put} PUT)`,
      );
    } finally {
      await s3.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  }
  return [];
}

/**
 * Runs the benchmarks.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { only: { type: "string" }, runs: { type: "string" }, work: { type: "string" } },
  });
  const runs = Number(values.runs ?? 3);
  const work = values.work ?? "/tmp/slack-faq-bench";
  await Deno.mkdir(work, { recursive: true });
  const sections: Record<string, () => Promise<string[]>> = {
    ingest: () => benchIngest(work, runs),
    rss: () => benchRss(work),
    label: () => benchLabel(work, runs),
    daily: () => benchDaily(work, runs),
  };
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => "")).match(/model name\s*:\s*(.*)/)?.[1] ??
    "unknown";
  console.log(
    `# ${new Date().toISOString()} · ${navigator.hardwareConcurrency} cores · ${cpu} · Deno ${Deno.version.deno}`,
  );
  for (const [name, fn] of Object.entries(sections)) {
    if (values.only && values.only !== name) continue;
    for (const line of await fn()) console.log(`- ${line}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
