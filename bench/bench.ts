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
import { benchIngest, benchRss } from "./ingest_bench.ts";
import { benchLabel } from "./label_bench.ts";
import { benchDaily } from "./daily_bench.ts";

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
