/**
 * `deno task import:export`: one channel of a Slack export into a course's raw
 * files.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { EXIT, LAKE_ENV, lakeOf, loadConfig, logFormatFlag } from "../lib/cli.ts";
import { type Course, selectCourses } from "../lib/config.ts";
import { type Lake, openLake } from "../lib/lake.ts";
import { STATE_ROOT } from "../lib/layout.ts";
import { formatImportSummary } from "../lib/report.ts";
import { type ExportSource, importExport, openExport } from "../lib/slack_export.ts";

const USAGE = `Usage: deno task import:export <export folder or .zip> --channel NAME --course ID [options]

Brings one channel of a standard Slack export (or slackdump's) into the course's raw files,
merging by ts with what is there: no duplicates, and the newer version of a message wins.

Options:
  --channel NAME      the channel folder in the export, or its id from channels.json (required)
  --course ID         the course in courses.yml that the channel belongs to (required)
  --lake URL          the lake (default: $LAKE_URL, then ./lake)
  --config FILE       the courses file (default: courses.yml)
  --log-format F      text (default) or json
  -h, --help          show this help

Then run: deno task ingest --course ID`;

/**
 * Runs the import command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  let source: ExportSource;
  let lake: Lake;
  let course: Course;
  let channel: string;
  let json: boolean;
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        channel: { type: "string" },
        course: { type: "string" },
        lake: { type: "string" },
        config: { type: "string" },
        "log-format": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      console.log(USAGE);
      return EXIT.ok;
    }
    json = logFormatFlag(values["log-format"]) === "json";
    if (positionals.length !== 1) throw new TypeError("Pass exactly one export folder or .zip");
    if (!values.channel) throw new TypeError("--channel is required: the channel folder to import");
    if (!values.course) throw new TypeError("--course is required: the course the channel belongs to");
    channel = values.channel;
    const env = Object.fromEntries(LAKE_ENV.map((n) => [n, Deno.env.get(n)]));
    const config = await loadConfig({
      configFile: values.config,
      lake: values.lake,
      env,
      readTextFile: Deno.readTextFile,
    });
    course = selectCourses(config, [values.course])[0]!;
    lake = course.rawIsUrl ? await openLake(course.rawPrefix, { s3: config.s3 }) : await lakeOf(config);
    try {
      source = await openExport(positionals[0]!);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new TypeError(`Export ${positionals[0]} does not exist: pass the export folder or its .zip`);
      }
      throw e;
    }
  } catch (e) {
    console.error(`import:export: ${(e as Error).message}`);
    if (e instanceof TypeError && /^(--|Pass)/.test(e.message)) console.error(USAGE);
    return EXIT.usage;
  }
  try {
    const summary = await importExport(source, lake, {
      channel,
      rawPrefix: course.rawIsUrl ? "" : course.rawPrefix,
    });
    let reportKey: string | null = null;
    if (summary.problems.length > 0) {
      const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
      reportKey = `${STATE_ROOT}/ingest/quarantine/import-${course.id}-${stamp}.jsonl`;
      const lines = summary.problems.map((p) => JSON.stringify({ course_id: course.id, ...p })).join("\n") + "\n";
      await lake.write(reportKey, new TextEncoder().encode(lines), { contentType: "application/x-ndjson" });
    }
    if (json) console.log(JSON.stringify({ event: "summary", course: course.id, reportKey, ...summary }));
    else {
      console.log(formatImportSummary(summary, course.id));
      if (reportKey) console.log(`\nReport: ${lake.url}/${reportKey}`);
      if (course.channelId && summary.channelId && course.channelId !== summary.channelId) {
        console.error(
          `Warning: ${summary.channel} is ${summary.channelId} in the export, but course ${course.id} has channel_id ${course.channelId}`,
        );
      }
      console.log(`\nNext: deno task ingest --course ${course.id}`);
    }
    return summary.problems.length > 0 ? EXIT.problems : EXIT.ok;
  } catch (e) {
    const message = (e as Error).message;
    console.error(`import:export: ${message}`);
    if (e instanceof Error && e.name === "NotCapable" && /write access/.test(e.message)) {
      console.error(
        "The deno task may write only to ./lake and /tmp. For a local lake elsewhere, run: deno run --allow-read --allow-write=DIR ingest/import_export.ts … --lake DIR",
      );
    }
    return e instanceof RangeError ? EXIT.usage : EXIT.failure;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
