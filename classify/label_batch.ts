/**
 * `deno task label:batch`: bronze to gold FAQ labels. See `label_command.ts`.
 *
 * @module
 */

import { runLabelCommand } from "./label_command.ts";

/**
 * Runs the command.
 *
 * @param args The command-line arguments.
 * @returns The exit code.
 */
export function main(args: string[]): Promise<number> {
  return runLabelCommand(args, "batch");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
