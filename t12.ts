import { parseRawDay } from "./lib/raw_json.ts";
import { normalizeMessage } from "./lib/slack.ts";
import { BRONZE_COLUMNS, writeParquet } from "./lib/parquet.ts";
const files: Uint8Array[] = [];
for (const d of ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"]) {
  files.push(Deno.readFileSync(`/tmp/b200/raw/slack/bench-1/year=2024/month=06/day=${d}/2024-06-${d}.json`));
}
let t = performance.now();
const parsed = files.map((f) => parseRawDay(f));
console.log("parse ms", (performance.now() - t).toFixed(0), parsed.reduce((n, p) => n + p.length, 0));
t = performance.now();
const rows = parsed.map((p) =>
  p.map((i) => normalizeMessage(i.value, { courseId: "c", sourcePath: "x", ingestionTime: 0n }))
);
console.log("normalize ms", (performance.now() - t).toFixed(0));
t = performance.now();
for (const r of rows) writeParquet(BRONZE_COLUMNS, r);
console.log("parquet ms", (performance.now() - t).toFixed(0));
import * as arrow from "apache-arrow";
import * as pq from "parquet-wasm";
import { rowsToTable } from "./lib/parquet.ts";
let a = 0, b = 0, c = 0;
const perCol: Record<string, number> = {};
for (const r of rows) {
  let t0 = performance.now();
  const table = rowsToTable(BRONZE_COLUMNS, r);
  a += performance.now() - t0;
  t0 = performance.now();
  const ipc = arrow.tableToIPC(table, "stream");
  b += performance.now() - t0;
  t0 = performance.now();
  pq.writeParquet(
    pq.Table.fromIPCStream(ipc),
    new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).build(),
  );
  c += performance.now() - t0;
  for (const spec of BRONZE_COLUMNS) {
    const t1 = performance.now();
    rowsToTable([spec], r);
    perCol[spec.name] = (perCol[spec.name] ?? 0) + performance.now() - t1;
  }
}
console.log({ table: a.toFixed(0), ipc: b.toFixed(0), parquet: c.toFixed(0) });
console.log(Object.entries(perCol).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}:${v.toFixed(0)}`).join(" "));
