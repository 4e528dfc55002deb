/**
 * The daily run at 1 and 365 days of history, and its S3 requests.
 *
 * @module
 */

import * as path from "node:path";
import { generateDay } from "./corpus_gen.ts";
import { LocalLake } from "../lib/lake.ts";
import { rawDayKey } from "../lib/layout.ts";
import { countingS3, DAILY, enc, fmt, INGEST, log, median, run, writeCorpus } from "./harness.ts";

/** Daily run vs history, and S3 requests. */
export async function benchDaily(work: string, runs: number): Promise<string[]> {
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
