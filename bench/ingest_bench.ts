/**
 * Ingest against DuckDB on the same raw files, and ingest's peak RSS.
 *
 * @module
 */

import * as path from "node:path";
import { DENO, exists, fmt, INGEST, log, median, resetBronze, run, writeCorpus } from "./harness.ts";

/** Ingest / DuckDB on 200k messages. */
export async function benchIngest(work: string, runs: number): Promise<string[]> {
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

/** Peak RSS of ingest, 200k and 1M messages. */
export async function benchRss(work: string): Promise<string[]> {
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
