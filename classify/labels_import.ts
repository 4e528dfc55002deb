/**
 * `deno task labels:import`: reads the human audit's CSV back into the lake's
 * human labels. See `lib/classify/labels_csv.ts`.
 *
 * @module
 */

import { EXIT, processIo, runTask, type TaskSpec, UsageError } from "../lib/cli.ts";
import { decodeCsvBytes, importLabelsCsv } from "../lib/classify/labels_csv.ts";

const USAGE = `Usage: deno task labels:import FILE.csv [options]

Reads a CSV written by labels:export. Each row whose human_label is 1/0, true/false or yes/no
becomes a human label in labels/{course}/human.jsonl; a human label wins over the LLM's and the
FAQ's. Rows with an empty human_label are left alone. A bad row (an unknown message_id, an
unreadable human_label, broken quoting) is reported with its row number, and the good rows land.

Options:
  --lake URL       the lake (default: $LAKE_URL, then ./lake)
  --config FILE    the courses file (default: courses.yml)
  --log-format F   text (default) or json

Exit codes: 0 done, 1 some rows were refused, 2 wrong usage, 3 the run failed.`;

const OPTIONS = {} as const;

const SPEC: TaskSpec<typeof OPTIONS> = {
  name: "labels:import",
  usage: USAGE,
  options: OPTIONS,
  positionals: true,
  async setup({ positionals, json, io, config: loadConfig, lake: openLake }) {
    if (positionals.length !== 1) throw new TypeError("Give one CSV file: deno task labels:import FILE.csv");
    const file = positionals[0]!;
    let text: string;
    try {
      text = decodeCsvBytes(await Deno.readFile(file));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new TypeError(`${file} does not exist: write one with deno task labels:export`);
      }
      throw e;
    }
    const config = await loadConfig();
    const lake = await openLake();
    return {
      lakeUrl: lake.url,
      async run() {
        let s;
        try {
          s = await importLabelsCsv(lake, text, { courses: config.courses.map((c) => c.id), file });
        } catch (e) {
          // A file with no usable header is a wrong argument, not a failed run.
          if (e instanceof TypeError) throw new UsageError(e.message);
          throw e;
        }
        const total = Object.values(s.imported).reduce((a, b) => a + b, 0);
        if (json) {
          for (const p of s.problems) io.out(JSON.stringify({ event: "bad_row", file, ...p }));
          io.out(JSON.stringify({ event: "summary", lake: lake.url, file, ...s, problems: s.problems.length }));
        } else {
          const per = Object.entries(s.imported).map(([c, n]) => `${n} for ${c}`).join(", ");
          io.out(`Imported ${total} human label(s)${per ? ` (${per})` : ""}; ${s.blank} row(s) left blank.`);
          if (total + s.blank + s.problems.length === 0) io.out(`${file} has a header but no rows: nothing to import.`);
        }
        for (const p of s.problems) io.err(`${file}: row ${p.row}: ${p.message}`);
        if (s.problems.length > 0) {
          io.err(`${s.problems.length} row(s) refused; the other rows were imported. Fix them and import again.`);
        }
        return s.problems.length > 0 ? EXIT.problems : EXIT.ok;
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
