/**
 * `deno task ingest`: raw Slack day files to bronze Parquet.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { dayFlag, EXIT, LAKE_ENV, lakeOf, loadConfig, logFormatFlag } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { ingest, type IngestOptions } from "../lib/ingest.ts";
import { openLake } from "../lib/lake.ts";
import { formatIngestSummary, formatProgress } from "../lib/report.ts";

const USAGE = `Usage: deno task ingest [options]

Reads new or changed raw Slack day files and rewrites the bronze partitions they touch.

Options:
  --lake URL          the lake: ./lake, file:///path or s3://bucket/prefix (default: $LAKE_URL, then ./lake)
  --config FILE       the courses file (default: courses.yml)
  --course ID         only this course; repeat for several (default: every course in the file)
  --since YYYY-MM-DD  only raw files filed on or after this day
  --until YYYY-MM-DD  only raw files filed on or before this day
  --log-format F      text (default) or json, one object per line for CI logs
  --workers N         courses ingested at once, each on its own thread (default: the number of cores)
  -h, --help          show this help

Exit codes: 0 done, 1 something was quarantined, 2 wrong usage or configuration, 3 the run failed.`;

const PERMISSION_HINT =
  "The deno task may write only to ./lake and /tmp. For a local lake elsewhere, run: deno run --allow-read --allow-write=DIR ingest/ingest.ts --lake DIR";

/**
 * Runs the ingest command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let options: IngestOptions;
  let lakeUrl: string;
  let lake;
  let json: boolean;
  try {
    const { values } = parseArgs({
      args,
      options: {
        lake: { type: "string" },
        config: { type: "string" },
        course: { type: "string", multiple: true },
        since: { type: "string" },
        until: { type: "string" },
        "log-format": { type: "string" },
        workers: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    json = logFormatFlag(values["log-format"]) === "json";
    const env = Object.fromEntries(LAKE_ENV.map((n) => [n, Deno.env.get(n)]));
    const config = await loadConfig({
      configFile: values.config,
      lake: values.lake,
      env,
      readTextFile: Deno.readTextFile,
    });
    const since = dayFlag(values.since, "since");
    const until = dayFlag(values.until, "until");
    if (since && until && since > until) throw new RangeError(`--since ${since} is after --until ${until}`);
    const workers = values.workers === undefined ? navigator.hardwareConcurrency : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`--workers "${values.workers}" must be 1 or more`);
    }
    lake = await lakeOf(config);
    lakeUrl = lake.url;
    options = {
      courses: selectCourses(config, values.course ?? []),
      since,
      until,
      openSource: (url) => openLake(url, { s3: config.s3 }),
      parallel: { lakeUrl: config.lakeUrl, s3: config.s3, workers },
    };
  } catch (e) {
    console.error(`ingest: ${(e as Error).message}`);
    if (!(e instanceof Error && /^(TypeError|RangeError|SyntaxError|ConfigError)$/.test(e.name))) {
      console.error(USAGE);
    }
    return EXIT.usage;
  }

  const tty = !json && Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  let lastDraw = 0;
  if (tty) {
    options.onProgress = (p) => {
      const t = Date.now();
      if (t - lastDraw < 100 && p.done !== p.total) return;
      lastDraw = t;
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${formatProgress(p)}`));
    };
  }
  try {
    const summary = await ingest(lake, options);
    if (tty) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    if (json) {
      for (const q of summary.quarantine) console.log(JSON.stringify({ event: "quarantine", ...q }));
      console.log(JSON.stringify({
        event: "summary",
        lake: lakeUrl,
        runId: summary.runId,
        quarantineKey: summary.quarantineKey,
        quarantined: summary.quarantine.length,
        courses: summary.courses,
      }));
    } else {
      console.log(formatIngestSummary(summary, lakeUrl));
    }
    return summary.quarantine.length > 0 ? EXIT.problems : EXIT.ok;
  } catch (e) {
    if (tty) Deno.stderr.writeSync(encoder.encode("\r\x1b[2K"));
    const message = e instanceof Error ? e.message : String(e);
    if (json) console.log(JSON.stringify({ event: "error", lake: lakeUrl, message }));
    console.error(`ingest: the run stopped: ${message}. What was written is valid; run again to finish.`);
    if (e instanceof Error && e.name === "NotCapable" && /write access/.test(e.message)) console.error(PERMISSION_HINT);
    return EXIT.failure;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
