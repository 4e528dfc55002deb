import { deepEqual as assertEquals } from "node:assert/strict";
import { enc, fixture, readBronze } from "../_helpers.ts";
import { LocalLake } from "../../lib/lake.ts";
import { parsePartitionKey, rawDayKey } from "../../lib/layout.ts";

// 2024-01-15T23:30:00.000001Z: the 16th in Tokyo, the 15th in UTC and in Los Angeles until 15:30.
const LATE = "1705361400.000001";
// 2024-01-16T00:30:00Z: still the 15th in Los Angeles.
const EARLY = "1705365000.000002";

Deno.test("ingest puts messages on their UTC day whatever the process's TZ", async (t) => {
  for (const tz of ["Asia/Tokyo", "America/Los_Angeles"]) {
    await t.step(`TZ=${tz}`, async () => {
      const dir = await Deno.makeTempDir({ prefix: "ingest-tz-" });
      try {
        const lake = new LocalLake(dir);
        await lake.write(
          rawDayKey("raw/slack/ml-zoomcamp", "2024-01-15"),
          enc(JSON.stringify([
            { type: "message", ts: LATE, user: "U1", text: "late" },
            { type: "message", ts: EARLY, user: "U1", text: "early" },
          ])),
        );
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--quiet",
            new URL("../../ingest/ingest.ts", import.meta.url).pathname,
            "--lake",
            dir,
            "--config",
            fixture("../courses.yml"),
            "--course",
            "ml-zoomcamp",
            "--since",
            "2024-01-15",
            "--until",
            "2024-01-15",
          ],
          env: { TZ: tz },
          stdout: "piped",
          stderr: "piped",
        }).output();
        assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
        const days: string[] = [];
        for await (const e of lake.list("bronze/")) days.push(parsePartitionKey(e.key)!.day);
        assertEquals(days, ["2024-01-15", "2024-01-16"]);
        const rows = await readBronze(lake, "ml-zoomcamp");
        assertEquals(rows.map((r) => [r.text, r.year, r.month, r.day]), [["late", 2024, 1, 15], [
          "early",
          2024,
          1,
          16,
        ]]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});
