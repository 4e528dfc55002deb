/**
 * `deno task report`: the maintainers' report, one self-contained HTML page.
 *
 * @module
 */

import * as path from "node:path";
import { dayFlag, EXIT, processIo, runTask, type TaskSpec } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { buildReport, publishReport } from "../lib/report/report.ts";
import { reportWindow } from "../lib/report/stats.ts";

const USAGE = `Usage: deno task report [options]

Writes one self-contained HTML page (no script, no request) for a window: per course, messages and
questions per week, the share answered in a thread and the time to the first reply, FAQ coverage,
the top recurring questions, the FAQ gaps with drafted answers, and the classifier's health.

Options:
  --lake URL          the lake: ./lake, file:///path or s3://bucket/prefix (default: $LAKE_URL, then ./lake)
  --config FILE       the courses file (default: courses.yml)
  --course ID         only this course; repeat for several (default: every course in the file)
  --since YYYY-MM-DD  the first day (default: the Monday seven weeks before --until's week: 8 weeks)
  --until YYYY-MM-DD  the last day (default: today, UTC)
  --out FILE          where to write the page (default: report.html)
  --publish           also write it into the lake: reports/latest/index.html and reports/{today}/index.html
  --log-format F      text (default) or json
  -h, --help          show this help

Exit codes: 0 done, 2 wrong usage or configuration, 3 the run failed.`;

const OPTIONS = {
  course: { type: "string", multiple: true },
  since: { type: "string" },
  until: { type: "string" },
  out: { type: "string" },
  publish: { type: "boolean" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "report",
  usage: USAGE,
  options: OPTIONS,
  permissionHint:
    "The deno task may write only to ./report.html, ./reports, ./lake, ./demo-lake and /tmp. Elsewhere, run: deno run --allow-read --allow-write=FILE --allow-net --allow-env classify/report.ts --out FILE",
  async setup({ values, json, io, config: loadConfig, lake: openConfigLake }) {
    const config = await loadConfig();
    const now = new Date();
    const today = now.toISOString().slice(0, 10);
    const window = reportWindow(today, dayFlag(values.since, "since"), dayFlag(values.until, "until"));
    const courses = selectCourses(config, values.course ?? []);
    const out = values.out ?? "report.html";
    if (out.trim() === "" || out.endsWith("/")) {
      throw new TypeError(`--out "${out}" must name a file, such as report.html`);
    }
    const lake = await openConfigLake();
    return {
      lakeUrl: lake.url,
      async run() {
        const started = performance.now();
        const result = await buildReport(lake, {
          courses,
          window,
          ...(config.slack?.domain ? { slackDomain: config.slack.domain } : {}),
          now: () => now,
        });
        await Deno.writeTextFile(out, result.html);
        const published = values.publish ? await publishReport(lake, result.html, today) : [];
        const seconds = (performance.now() - started) / 1000;
        if (json) {
          io.out(JSON.stringify({
            event: "summary",
            lake: lake.url,
            window,
            out: path.resolve(out),
            published,
            seconds,
            courses: result.courses,
          }));
        } else {
          io.out(`Report for ${window.since} to ${window.until} (${seconds.toFixed(1)} s):`);
          for (const c of result.courses) {
            io.out(
              `  ${c.courseId}: ${c.messages} messages, ${c.questions} questions, ${c.groups} recurring group(s) shown, ${c.gaps} gap(s)`,
            );
          }
          io.out(`Wrote ${path.resolve(out)}`);
          for (const key of published) io.out(`Published ${lake.url.replace(/\/$/, "")}/${key}`);
        }
        return EXIT.ok;
      },
    };
  },
};

/**
 * Runs the report command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
