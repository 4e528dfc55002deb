/**
 * `deno task import:export`: one channel of a Slack export into a course's raw
 * files.
 *
 * @module
 */

import { EXIT, processIo, runTask, type TaskSpec, UsageError } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { openLake } from "../lib/lake.ts";
import { STATE_ROOT } from "../lib/layout.ts";
import { formatImportSummary } from "../lib/slack/summary.ts";
import { type ExportSource, importExport, importNames, openExport } from "../lib/slack/export.ts";

const USAGE = `Usage: deno task import:export <export folder or .zip> --channel NAME --course ID [options]

Brings one channel of a standard Slack export (or slackdump's) into the course's raw files,
merging by ts with what is there: no duplicates, and the newer version of a message wins.
The export's users.json and channels.json go to _meta/slack/, the names ingest renders mentions with.

Options:
  --channel NAME      the channel folder in the export, or its id from channels.json (required)
  --course ID         the course in courses.yml that the channel belongs to (required)
  --lake URL          the lake (default: $LAKE_URL, then ./lake)
  --config FILE       the courses file (default: courses.yml)
  --log-format F      text (default) or json
  -h, --help          show this help

Then run: deno task ingest --course ID`;

const OPTIONS = {
  channel: { type: "string" },
  course: { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "import:export",
  usage: USAGE,
  options: OPTIONS,
  positionals: true,
  afterFailure: "Raw files already written are whole; run again to finish.",
  permissionHint:
    "The deno task may write only to ./lake and /tmp. For a local lake elsewhere, run: deno run --allow-read --allow-write=DIR ingest/import_export.ts … --lake DIR",
  async setup({ values, positionals, json, io, config: loadConfig, lake: openConfigLake }) {
    if (positionals.length !== 1) throw new TypeError("Pass exactly one export folder or .zip");
    if (!values.channel) throw new TypeError("--channel is required: the channel folder to import");
    if (!values.course) throw new TypeError("--course is required: the course the channel belongs to");
    const channel = values.channel;
    const config = await loadConfig();
    const course = selectCourses(config, [values.course])[0]!;
    const lake = course.rawIsUrl ? await openLake(course.rawPrefix, { s3: config.s3 }) : await openConfigLake();
    let source: ExportSource;
    try {
      source = await openExport(positionals[0]!);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new TypeError(`Export ${positionals[0]} does not exist: pass the export folder or its .zip`);
      }
      throw e;
    }
    return {
      lakeUrl: lake.url,
      async run() {
        const summary = await importExport(source, lake, {
          channel,
          rawPrefix: course.rawIsUrl ? "" : course.rawPrefix,
        }).catch((e) => {
          // An unknown channel is only found once the export is open.
          throw e instanceof RangeError ? new UsageError(e.message) : e;
        });
        // Names go where ingest reads them: the configured lake, even when raw lives elsewhere.
        const names = await importNames(source, course.rawIsUrl ? await openConfigLake() : lake);
        let reportKey: string | null = null;
        if (summary.problems.length > 0) {
          const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
          reportKey = `${STATE_ROOT}/ingest/quarantine/import-${course.id}-${stamp}.jsonl`;
          const lines = summary.problems.map((p) => JSON.stringify({ course_id: course.id, ...p })).join("\n") + "\n";
          await lake.write(reportKey, new TextEncoder().encode(lines), { contentType: "application/x-ndjson" });
        }
        if (json) {
          io.out(
            JSON.stringify({ event: "summary", course: course.id, reportKey, namesWritten: names.written, ...summary }),
          );
        } else {
          io.out(formatImportSummary(summary, course.id));
          if (reportKey) io.out(`\nReport: ${lake.url}/${reportKey}`);
          if (names.written.length > 0) io.out(`Names for mentions: ${names.written.join(", ")}`);
          if (course.channelId && summary.channelId && course.channelId !== summary.channelId) {
            io.err(
              `Warning: ${summary.channel} is ${summary.channelId} in the export, but course ${course.id} has channel_id ${course.channelId}`,
            );
          }
          io.out(`\nNext: deno task ingest --course ${course.id}${values.lake ? ` --lake ${values.lake}` : ""}`);
        }
        return summary.problems.length > 0 ? EXIT.problems : EXIT.ok;
      },
    };
  },
};

/**
 * Runs the import command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
