import { deepEqual as assertEquals, ok } from "node:assert/strict";
import * as path from "node:path";
import { capture, dec, fixture, readBronze, snapshot, startS3, withEnv } from "./_helpers.ts";
import { main as ingestMain } from "../ingest/ingest.ts";
import { main as importMain } from "../ingest/import_export.ts";
import { LocalLake } from "../lib/lake.ts";

const CONFIG = fixture("../courses.yml");

async function tempLake(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "lake-" });
}

Deno.test("import:export then ingest on a local lake, from the command line", async (t) => {
  const dir = await tempLake();
  try {
    await t.step("import prints a summary and exits 0", async () => {
      const r = await capture(() =>
        importMain([
          fixture("export/export-a"),
          "--channel",
          "course-ml-zoomcamp",
          "--course",
          "ml-zoomcamp",
          "--lake",
          dir,
          "--config",
          CONFIG,
        ])
      );
      assertEquals(r.code, 0, r.err);
      ok(r.out.includes("course-ml-zoomcamp  ml-zoomcamp"), r.out);
      ok(r.out.includes("Next: deno task ingest --course ml-zoomcamp"));
    });
    await t.step("ingest prints the summary table and exits 0", async () => {
      const r = await capture(() => ingestMain(["--lake", dir, "--config", CONFIG]));
      assertEquals(r.code, 0, r.err);
      ok(/ml-zoomcamp\s+2\s+2\s+5\s+5\s+2\s+0\s+0/.test(r.out), r.out);
    });
    await t.step("a second ingest says nothing is new", async () => {
      const r = await capture(() => ingestMain(["--lake", dir, "--config", CONFIG]));
      assertEquals(r.code, 0);
      ok(r.out.includes("Nothing new: bronze is up to date."));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ingest --log-format json prints one object per line and exits 1 on quarantine", async () => {
  const dir = await tempLake();
  try {
    const lake = new LocalLake(dir);
    await lake.write("raw/slack/ml-zoomcamp/2024-02-01.json", Deno.readFileSync(fixture("bad/missing_ts.json")));
    const r = await capture(() =>
      ingestMain(["--lake", dir, "--config", CONFIG, "--course", "ml-zoomcamp", "--log-format", "json"])
    );
    assertEquals(r.code, 1);
    const lines = r.out.split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => l.event), ["quarantine", "quarantine", "summary"]);
    assertEquals(lines[0].file, "raw/slack/ml-zoomcamp/2024-02-01.json");
    assertEquals(lines[2].courses[0].rowsWritten, 1);
    ok(lines[2].quarantineKey.startsWith("_state/ingest/quarantine/"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the entrypoints refuse wrong usage with exit 2 and a clear message", async (t) => {
  const cases: [string, () => Promise<number>, string][] = [
    ["an unknown flag", () => ingestMain(["--nope"]), "Unknown option '--nope'"],
    [
      "a bad date",
      () => ingestMain(["--config", CONFIG, "--since", "2024-13-01"]),
      '--since "2024-13-01" is not a date',
    ],
    [
      "since after until",
      () => ingestMain(["--config", CONFIG, "--since", "2024-02-01", "--until", "2024-01-01"]),
      "--since 2024-02-01 is after --until 2024-01-01",
    ],
    [
      "an unknown course",
      () => ingestMain(["--config", CONFIG, "--course", "nope"]),
      `Course "nope" is not in ${CONFIG}`,
    ],
    [
      "a missing config",
      () => ingestMain(["--config", "/nonexistent/courses.yml"]),
      "Config file /nonexistent/courses.yml does not exist",
    ],
    ["a bad log format", () => ingestMain(["--log-format", "xml"]), '--log-format "xml" is not known'],
    ["a bad lake URL", () => ingestMain(["--config", CONFIG, "--lake", "gs://x/y"]), 'unsupported scheme "gs"'],
    [
      "import without a channel",
      () => importMain([fixture("export/export-a"), "--course", "ml-zoomcamp"]),
      "--channel is required",
    ],
    [
      "import of a missing export",
      () => importMain(["/nonexistent", "--channel", "x", "--course", "ml-zoomcamp", "--config", CONFIG]),
      "Export /nonexistent does not exist",
    ],
    [
      "import of a missing channel",
      () =>
        importMain([
          fixture("export/export-a"),
          "--channel",
          "x",
          "--course",
          "ml-zoomcamp",
          "--config",
          CONFIG,
          "--lake",
          path.join(Deno.makeTempDirSync(), "l"),
        ]),
      'Channel "x" is not in the export',
    ],
  ];
  for (const [name, fn, message] of cases) {
    await t.step(name, async () => {
      const r = await capture(fn);
      assertEquals(r.code, 2, `${name}: ${r.err}`);
      ok(r.err.includes(message), `${name}: ${r.err}`);
    });
  }
});

Deno.test("import:export and ingest on s3:// through s3rver, then a rerun is identical", async (t) => {
  const s3 = await startS3();
  const env = {
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_S3_FORCE_PATH_STYLE: "true",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
  try {
    await withEnv(env, async () => {
      const url = "s3://lake/prod";
      await t.step("import and ingest", async () => {
        for (const exp of ["export/export-a", "export/export-b"]) {
          const r = await capture(() =>
            importMain([
              fixture(exp),
              "--channel",
              "course-ml-zoomcamp",
              "--course",
              "ml-zoomcamp",
              "--lake",
              url,
              "--config",
              CONFIG,
            ])
          );
          assertEquals(r.code, 0, r.err);
        }
        const r = await capture(() => ingestMain(["--lake", url, "--config", CONFIG]));
        assertEquals(r.code, 0, r.err);
      });
      const lake = s3.lake("prod");
      const rows = await readBronze(lake, "ml-zoomcamp");
      await t.step("bronze holds every unique message once", () => {
        assertEquals(rows.length, 7);
        assertEquals(new Set(rows.map((r) => r.message_id)).size, 7);
      });
      await t.step("a second run leaves every object identical", async () => {
        const before = await snapshot(lake, "bronze/");
        const manifest = dec(await lake.read("_state/ingest/ml-zoomcamp/manifest.json"));
        const r = await capture(() => ingestMain(["--lake", url, "--config", CONFIG]));
        assertEquals(r.code, 0);
        assertEquals(await snapshot(lake, "bronze/"), before);
        assertEquals(dec(await lake.read("_state/ingest/ml-zoomcamp/manifest.json")), manifest);
      });
    });
  } finally {
    await s3.close();
  }
});

Deno.test("runTask() turns flags, setup errors and run failures into messages and exit codes", async (t) => {
  const { runTask, UsageError } = await import("../lib/cli.ts");
  const lines = { out: [] as string[], err: [] as string[] };
  const io = {
    env: (name: string) => (name === "LAKE_URL" ? "./nowhere" : undefined),
    out: (l: string) => lines.out.push(l),
    err: (l: string) => lines.err.push(l),
  };
  let closed = 0;
  const spec = (run: () => Promise<number>) => ({
    name: "demo:task",
    usage: "Usage: demo:task [--n N]",
    options: { n: { type: "string" } } as const,
    setup: ({ values }: { values: { n?: string } }) => {
      if (values.n === "bad") throw new RangeError('--n "bad" must be a number');
      return Promise.resolve({ lakeUrl: "memory://x", run, close: () => Promise.resolve(void closed++) });
    },
  });
  const reset = () => (lines.out.length = 0, lines.err.length = 0);

  await t.step("--help prints the usage and exits 0", async () => {
    reset();
    assertEquals(await runTask(spec(() => Promise.resolve(0)), ["--help"], io), 0);
    assertEquals(lines.out, ["Usage: demo:task [--n N]"]);
  });
  await t.step("an unknown flag exits 2 and points at --help", async () => {
    reset();
    assertEquals(await runTask(spec(() => Promise.resolve(0)), ["--nope"], io), 2);
    ok(lines.err[0]!.startsWith("demo:task: Unknown option '--nope'"), lines.err[0]);
    ok(lines.err[0]!.endsWith('run "deno task demo:task --help" for the flags'), lines.err[0]);
  });
  await t.step("a RangeError in setup exits 2 with its message and no usage dump", async () => {
    reset();
    assertEquals(await runTask(spec(() => Promise.resolve(0)), ["--n", "bad"], io), 2);
    assertEquals(lines.err, ['demo:task: --n "bad" must be a number']);
  });
  await t.step("a failure during the run exits 3, logs a JSON event, and still closes", async () => {
    reset();
    closed = 0;
    const code = await runTask(spec(() => Promise.reject(new Error("Disk full"))), ["--log-format", "json"], io);
    assertEquals(code, 3);
    assertEquals(JSON.parse(lines.out[0]!), { event: "error", lake: "memory://x", message: "Disk full" });
    assertEquals(lines.err, ["demo:task: the run stopped: Disk full. Run again to finish."]);
    assertEquals(closed, 1);
  });
  await t.step("a UsageError during the run exits 2 without 'the run stopped'", async () => {
    reset();
    const code = await runTask(spec(() => Promise.reject(new UsageError("Channel x is not in the export"))), [], io);
    assertEquals(code, 2);
    assertEquals(lines.err, ["demo:task: Channel x is not in the export"]);
  });
  await t.step("the exit code of the work is passed through", async () => {
    assertEquals(await runTask(spec(() => Promise.resolve(1)), [], io), 1);
  });
});
