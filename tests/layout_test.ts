import { deepEqual as assertEquals } from "node:assert/strict";
import { assertThrows } from "./_helpers.ts";
import {
  addDays,
  dayOfMicros,
  parseDay,
  parsePartitionKey,
  partitionKey,
  rawDayKey,
  rawKeyDay,
  rawMonthPrefixes,
} from "../lib/layout.ts";

Deno.test({ name: "layout builds the contract's keys, zero-padded", permissions: "none" }, () => {
  assertEquals(rawDayKey("raw/slack/ml", "2024-01-05"), "raw/slack/ml/year=2024/month=01/day=05/2024-01-05.json");
  assertEquals(rawDayKey("", "2024-01-05"), "year=2024/month=01/day=05/2024-01-05.json");
  assertEquals(
    partitionKey("bronze", "ml", "2024-01-05"),
    "bronze/slack/messages/course_id=ml/year=2024/month=01/day=05/part-00000.parquet",
  );
  assertEquals(
    partitionKey("gold", "ml", "2024-12-31"),
    "gold/faq_labels/course_id=ml/year=2024/month=12/day=31/part-00000.parquet",
  );
});

Deno.test({ name: "layout parses what it builds", permissions: "none" }, () => {
  assertEquals(parsePartitionKey(partitionKey("gold", "de", "2023-02-28")), {
    table: "gold",
    courseId: "de",
    day: "2023-02-28",
  });
  assertEquals(parsePartitionKey("bronze/slack/messages/course_id=x/nope.parquet"), undefined);
  assertEquals(rawKeyDay("raw/slack/ml/year=2024/month=01/day=05/2024-01-05.json"), "2024-01-05");
  assertEquals(rawKeyDay("raw/slack/ml/2024-02-29.json"), "2024-02-29");
  assertEquals(rawKeyDay("raw/slack/ml/notes.json"), undefined);
});

Deno.test({ name: "dayOfMicros() uses UTC to the last microsecond", permissions: "none" }, () => {
  assertEquals(dayOfMicros(1704067199999999n), "2023-12-31");
  assertEquals(dayOfMicros(1704067200000000n), "2024-01-01");
  assertEquals(dayOfMicros(-1n), "1969-12-31");
});

Deno.test({ name: "parseDay() refuses dates that do not exist", permissions: "none" }, () => {
  assertEquals(parseDay("2024-02-29"), "2024-02-29");
  assertThrows(() => parseDay("2023-02-29"), RangeError, '"2023-02-29" is not a date: use YYYY-MM-DD');
  assertThrows(() => parseDay("2024-1-5"), RangeError, "is not a date");
  assertEquals(addDays("2024-02-28", 2), "2024-03-01");
});

Deno.test({ name: "rawMonthPrefixes() covers a window month by month", permissions: "none" }, () => {
  assertEquals(rawMonthPrefixes("raw/slack/ml", "2023-11-20", "2024-02-01"), [
    "raw/slack/ml/year=2023/month=11/",
    "raw/slack/ml/year=2023/month=12/",
    "raw/slack/ml/year=2024/month=01/",
    "raw/slack/ml/year=2024/month=02/",
  ]);
});
