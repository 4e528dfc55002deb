// Two writers of one course's raw files at once (fetch and fetch, fetch and import:export): the lease makes them
// take turns, so that neither merge writes a day file without the other's messages.
import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, course, fixture } from "../_helpers.ts";
import { type Lake, MemoryLake } from "../../lib/lake.ts";
import { rawDayKey } from "../../lib/layout.ts";
import { importExport, openExport } from "../../lib/slack/export.ts";
import { fetchCourses } from "../../lib/slack/fetch.ts";
import { RawLeaseBusyError, rawLeaseKey, withRawLease } from "../../lib/slack/raw_lease.ts";
import { SlackReader } from "../../lib/slack/web_api.ts";
import { startFakeSlack } from "./fake_slack.ts";

const TOKEN = "xoxb-5-5-leasetestsecret";
const CH = "C0288NJ5XSA";
const RAW = "raw/slack/ml";
const FAST = { ttlMs: 60_000, settleMs: 20 };

/**
 * A lake where a writer looking at a raw day file waits (up to 300 ms) for a second writer to look too: without
 * anything keeping writers apart, both then see the file as it was before either merged.
 */
function meetingLake(lake: MemoryLake): Lake {
  const waiting: (() => void)[] = [];
  return new Proxy(lake, {
    get(target, prop, receiver) {
      if (prop === "stat") {
        return async (key: string) => {
          if (key.startsWith(`${RAW}/`)) {
            if (waiting.length > 0) waiting.splice(0).forEach((go) => go());
            else {
              await new Promise<void>((go) => {
                waiting.push(go);
                setTimeout(go, 300);
              });
            }
          }
          return target.stat(key);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

async function tsOfDay(lake: Lake, day: string): Promise<string[]> {
  const parsed = JSON.parse(new TextDecoder().decode(await lake.read(rawDayKey(RAW, day)))) as { ts: string }[];
  return parsed.map((m) => m.ts);
}

/** A fetch of course ml whose stand-in serves `messages`. */
async function fetchOnce(lake: Lake, messages: Record<string, unknown>[]) {
  const fake = startFakeSlack({ token: TOKEN, channels: [{ id: CH, name: "course-ml-zoomcamp", messages }] });
  try {
    const reader = new SlackReader({ token: TOKEN, apiUrl: fake.url, retry: { retries: 0 } });
    const c = course("ml", { channelId: CH, rawPrefix: RAW });
    return await fetchCourses(reader, lake, { courses: [c], names: false, lease: FAST });
  } finally {
    await fake.close();
  }
}

const msg = (ts: string, text: string) => ({ type: "message", ts, user: "U01AAAAAAA1", text });

Deno.test("fetch and import:export at once on one course keep every message of both", async () => {
  const mem = new MemoryLake();
  const lake = meetingLake(mem);
  // Same UTC day (2024-02-01) as the export's first file, a ts the export does not have.
  const fetched = [msg("1706791000.000100", "from the API")];
  const [f] = await Promise.all([
    fetchOnce(lake, fetched),
    importExport(await openExport(fixture("export/export-a")), lake, {
      channel: "course-ml-zoomcamp",
      rawPrefix: RAW,
      lease: FAST,
    }),
  ]);
  assertEquals(f.courses[0]!.status, "ok");
  const day = await tsOfDay(mem, "2024-02-01");
  ok(day.includes("1706791000.000100"), `the fetched message is kept: ${day}`);
  ok(day.includes("1706790000.000001"), `the exported message is kept: ${day}`);
  assertEquals(await mem.stat(rawLeaseKey(RAW)), undefined, "the lease is let go");
});

Deno.test("two fetches at once on one course keep what each received", async () => {
  const mem = new MemoryLake();
  const lake = meetingLake(mem);
  const a = msg("1706791000.000100", "seen by the first");
  const b = msg("1706792000.000200", "seen by the second");
  const [ra, rb] = await Promise.all([fetchOnce(lake, [a]), fetchOnce(lake, [b])]);
  assertEquals([ra.courses[0]!.status, rb.courses[0]!.status], ["ok", "ok"]);
  assertEquals(await tsOfDay(mem, "2024-02-01"), ["1706791000.000100", "1706792000.000200"]);
});

Deno.test("withRawLease() waits for a live holder, takes over a lapsed lease, and gives up with RawLeaseBusyError", async (t) => {
  await t.step("a lapsed lease (a killed run) is taken over", async () => {
    const lake = new MemoryLake();
    const dead = { owner: "x", holder: "fetch of course ml, started long ago", until: Date.now() - 1 };
    await lake.write(rawLeaseKey(RAW), new TextEncoder().encode(JSON.stringify(dead)));
    assertEquals(await withRawLease(lake, RAW, { holder: "t", settleMs: 1 }, () => Promise.resolve(7)), 7);
    assertEquals(await lake.stat(rawLeaseKey(RAW)), undefined);
  });
  await t.step("a live holder that never lets go makes the other give up, naming it", async () => {
    const lake = new MemoryLake();
    let clock = 1_000_000;
    const told: string[] = [];
    const held = withRawLease(lake, RAW, { holder: "import:export of channel x", settleMs: 1 }, async () => {
      const e = await assertRejects(
        () =>
          withRawLease(lake, RAW, {
            holder: "fetch of course ml",
            waitMs: 5000,
            onWait: (h) => told.push(h),
            now: () => clock,
            sleep: (ms) => Promise.resolve(void (clock += ms)),
          }, () => Promise.resolve(0)),
        RawLeaseBusyError,
        "are being written by another run (import:export of channel x",
      );
      ok(e.message.includes("run again when it is done"), e.message);
      assertEquals(told.length, 1, "the wait is told once");
      ok(told[0]!.startsWith("import:export of channel x, started "), told[0]);
    });
    await held;
    assertEquals(await lake.stat(rawLeaseKey(RAW)), undefined);
  });
  await t.step("the holder's work failing still lets the lease go", async () => {
    const lake = new MemoryLake();
    await assertRejects(
      () => withRawLease(lake, RAW, { holder: "t", settleMs: 1 }, () => Promise.reject(new RangeError("boom"))),
      RangeError,
      "boom",
    );
    assertEquals(await lake.stat(rawLeaseKey(RAW)), undefined);
  });
});
