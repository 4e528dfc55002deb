/**
 * `deno task ingest`: raw Slack day files to bronze Parquet.
 *
 * @module
 */

import { dayFlag, EXIT, processIo, runTask, type TaskSpec, waitFlag } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { ingest, type IngestOptions } from "../lib/ingest/ingest.ts";
import { openLake } from "../lib/lake.ts";
import { formatIngestSummary, formatProgress } from "../lib/ingest/summary.ts";

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
  --refresh-names     rebuild every partition, so that changed names in _meta/slack/ reach history
  --wait SECONDS      wait this long for a course another ingest is working on (default: 0, refuse at once)
  -h, --help          show this help

Each course is ingested under a lease in the lake: a second ingest of the same course waits
(--wait) or refuses with exit code 4, naming the run that holds it.

Exit codes: 0 done, 1 something was quarantined, 2 wrong usage or configuration, 3 the run failed,
4 another run holds a course's lease.`;

const OPTIONS = {
  course: { type: "string", multiple: true },
  since: { type: "string" },
  until: { type: "string" },
  workers: { type: "string" },
  "refresh-names": { type: "boolean" },
  wait: { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "ingest",
  usage: USAGE,
  options: OPTIONS,
  afterFailure: "What was written is valid; run again to finish.",
  permissionHint:
    "The deno task may write only to ./lake and /tmp. For a local lake elsewhere, run: deno run --allow-read --allow-write=DIR ingest/ingest.ts --lake DIR",
  async setup({ values, json, io, config: loadConfig, lake: openConfigLake }) {
    const config = await loadConfig();
    const since = dayFlag(values.since, "since");
    const until = dayFlag(values.until, "until");
    if (since && until && since > until) throw new RangeError(`--since ${since} is after --until ${until}`);
    const workers = values.workers === undefined ? navigator.hardwareConcurrency : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`--workers "${values.workers}" must be a whole number of 1 or more, as --workers=2`);
    }
    const lake = await openConfigLake();
    const options: IngestOptions = {
      courses: selectCourses(config, values.course ?? []),
      since,
      until,
      openSource: (url) => openLake(url, { s3: config.s3 }),
      parallel: { lakeUrl: config.lakeUrl, s3: config.s3, workers },
      refreshNames: values["refresh-names"] === true,
      lease: {
        waitMs: waitFlag(values.wait),
        onWait: (h, until) =>
          io.err(`Waiting for ${h.host} pid ${h.pid}, which holds a course's lease until ${until} (--wait).`),
      },
    };
    const status = json ? undefined : io.status;
    if (status) {
      let lastDraw = 0;
      options.onProgress = (p) => {
        const t = Date.now();
        if (t - lastDraw < 100 && p.done !== p.total) return;
        lastDraw = t;
        status(formatProgress(p));
      };
    }
    return {
      lakeUrl: lake.url,
      async run() {
        try {
          const summary = await ingest(lake, options);
          status?.("");
          if (json) {
            for (const q of summary.quarantine) io.out(JSON.stringify({ event: "quarantine", ...q }));
            io.out(JSON.stringify({
              event: "summary",
              lake: lake.url,
              runId: summary.runId,
              quarantineKey: summary.quarantineKey,
              quarantined: summary.quarantine.length,
              courses: summary.courses,
            }));
          } else {
            io.out(formatIngestSummary(summary, lake.url));
          }
          return summary.quarantine.length > 0 ? EXIT.problems : EXIT.ok;
        } finally {
          status?.("");
        }
      },
    };
  },
};

/**
 * Runs the ingest command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
