/**
 * `deno task labels:export`: a course's sampled and labeled messages as a CSV
 * for the human audit. See `lib/classify/labels_csv.ts`.
 *
 * @module
 */

import { EXIT, processIo, runTask, type TaskSpec, UsageError } from "../lib/cli.ts";
import { selectCourses } from "../lib/config.ts";
import { exportLabelsCsv } from "../lib/classify/labels_csv.ts";

const USAGE = `Usage: deno task labels:export --course ID --out FILE.csv [options]

Writes the course's sampled and labeled messages (labels/{course}/ in the lake) as a CSV that opens
in a spreadsheet: message_id, text, label (1/0, the label that counts now), source (human, llm or
faq), confidence, reason, and an empty human_label column to fill in (1/0, true/false or yes/no).
Read it back with deno task labels:import FILE.csv.

Options:
  --course ID      the course (required)
  --out FILE       the CSV to write (required)
  --lake URL       the lake (default: $LAKE_URL, then ./lake)
  --config FILE    the courses file (default: courses.yml)
  --log-format F   text (default) or json`;

const OPTIONS = {
  course: { type: "string" },
  out: { type: "string" },
} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "labels:export",
  usage: USAGE,
  options: OPTIONS,
  async setup({ values, json, io, config: loadConfig, lake: openLake }) {
    if (!values.course) throw new TypeError("--course is required: the course whose labels to export");
    if (!values.out) throw new TypeError("--out is required: the CSV file to write");
    const config = await loadConfig();
    const [course] = selectCourses(config, [values.course]);
    const out = values.out;
    const lake = await openLake();
    return {
      lakeUrl: lake.url,
      async run() {
        const { csv, rows } = await exportLabelsCsv(lake, course!.id);
        try {
          await Deno.writeTextFile(out, csv);
        } catch (e) {
          // A wrong --out is the caller's to fix: running again would not help.
          if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory) {
            throw new UsageError(
              `--out ${out} cannot be written (${(e as Error).message}): name a file in a folder that exists`,
            );
          }
          throw e;
        }
        if (json) io.out(JSON.stringify({ event: "summary", lake: lake.url, course: course!.id, out, rows }));
        else {
          io.out(`Wrote ${rows} message(s) of ${course!.id} to ${out}.`);
          if (rows === 0) io.out("There is nothing to audit yet: run deno task label:bootstrap first.");
          else io.out(`Fill in human_label (1/0, true/false or yes/no), then: deno task labels:import ${out}`);
        }
        return EXIT.ok;
      },
    };
  },
};

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runTask(SPEC, args, processIo(Deno, console));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
