/**
 * What the benchmark sections share: timing a process under `/usr/bin/time`,
 * medians, the corpus writer, the task command lines and an S3 server that
 * counts requests.
 *
 * @module
 */

import * as path from "node:path";
import { fileURLToPath } from "node:url";
import S3rver from "s3rver";
import { corpusConfig, corpusCourses, corpusDays, generateDay } from "./corpus_gen.ts";
import { LocalLake } from "../lib/lake.ts";
import { rawDayKey } from "../lib/layout.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const DENO = Deno.execPath();
export const enc = new TextEncoder();
export const dec = new TextDecoder();

/** One timed process run. */
export interface Run {
  ms: number;
  rssKb?: number;
  stdout: string;
}

export async function run(args: string[], env: Record<string, string> = {}, timed = true): Promise<Run> {
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

export async function exists(p: string): Promise<boolean> {
  try {
    await Deno.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Prints a result line at once, so a long section shows what it has. */
export const log = (line: string) => console.log(`- ${line}`);
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export async function writeCorpus(dir: string, messages: number, courses: number, days: number, end = "2024-07-01") {
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
export const INGEST = [
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
export const CLASSIFY = [
  DENO,
  "run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-net",
  "--allow-ffi",
];
export const LABEL = [...CLASSIFY, "classify/label_batch.ts"];
export const DAILY = [...CLASSIFY, "classify/label_daily.ts"];

export async function resetBronze(lake: string) {
  for (const p of ["bronze", "_state", "gold"]) {
    await Deno.remove(path.join(lake, p), { recursive: true }).catch(() => {});
  }
}

/** An S3 server behind a proxy that counts requests by method. */
export async function countingS3(dir: string) {
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
