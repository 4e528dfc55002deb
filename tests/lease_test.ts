import { deepEqual as assertEquals, ok } from "node:assert/strict";
import { assertRejects, capture, course, dec, enc, fixture, startS3 } from "./_helpers.ts";
import { acquireLease, decideLease, type LeaseRecord, parseLeaseRecord, withLease } from "../lib/lease.ts";
import { LeaseHeldError, LeaseLostError } from "../lib/errors.ts";
import { type Lake, LocalLake, MemoryLake } from "../lib/lake.ts";
import { leaseKey, leasePrefix, rawDayKey } from "../lib/layout.ts";
import { ingest } from "../lib/ingest/ingest.ts";
import { main as ingestMain } from "../ingest/ingest.ts";

const HOLDER = { host: "host-a", pid: 41, started_at: "2024-01-01T00:00:00.000Z" };
const OTHER = { host: "host-b", pid: 42, started_at: "2024-01-01T00:05:00.000Z" };

function record(extra: Partial<LeaseRecord> = {}): LeaseRecord {
  return {
    version: 1,
    task: "ingest",
    course_id: "ml",
    generation: 3,
    holder: { ...HOLDER, run_id: "r" },
    expires_at: "2024-01-01T00:10:00.000Z",
    released: false,
    ...extra,
  };
}

async function leaseKeys(lake: Lake, task = "ingest", courseId = "ml"): Promise<string[]> {
  const out: string[] = [];
  for await (const e of lake.list(leasePrefix(task, courseId))) out.push(e.key);
  return out;
}

Deno.test({ name: "decideLease() frees a missing, released or expired lease only", permissions: "none" }, () => {
  const t = Date.parse("2024-01-01T00:05:00Z");
  assertEquals(decideLease(undefined, t), { free: true, next: 1 });
  assertEquals(decideLease(record({ released: true }), t), { free: true, next: 4 });
  assertEquals(decideLease(record(), Date.parse("2024-01-01T00:10:00Z")), { free: true, next: 4 });
  assertEquals(decideLease(record(), t), {
    free: false,
    holder: { ...HOLDER, run_id: "r" },
    expiresAt: "2024-01-01T00:10:00.000Z",
  });
  assertEquals(decideLease(record({ expires_at: "not a date" }), t), { free: true, next: 4 });
});

Deno.test(
  { name: "parseLeaseRecord() refuses what is not a lease, with what to do", permissions: "none" },
  async (t) => {
    await t.step("bad JSON", async () => {
      await assertRejects(() => Promise.resolve().then(() => parseLeaseRecord("{", "k")), SyntaxError, "delete it");
    });
    await t.step("another shape", async () => {
      await assertRejects(
        () => Promise.resolve().then(() => parseLeaseRecord('{"version":2}', "k")),
        SyntaxError,
        "Lease k has an unknown format",
      );
    });
    await t.step("a record reads back", () => {
      assertEquals(parseLeaseRecord(JSON.stringify(record()), "k"), record());
    });
  },
);

async function leaseContract(t: Deno.TestContext, make: () => Lake, atomic = true) {
  await t.step("writeIfAbsent creates once, and a second create of the key is refused", async () => {
    const lake = make();
    assertEquals(await lake.writeIfAbsent("a/x.json", enc("one")), true);
    assertEquals(await lake.writeIfAbsent("a/x.json", enc("two")), false);
    assertEquals(dec(await lake.read("a/x.json")), "one");
    const raced = await Promise.all([1, 2, 3, 4].map((i) => lake.writeIfAbsent("a/y.json", enc(String(i)))));
    // s3rver ignores If-None-Match, so writers racing in the same instant can all win there; S3 allows one.
    if (atomic) assertEquals(raced.filter(Boolean).length, 1);
    else ok(raced.filter(Boolean).length >= 1);
  });
  await t.step("a second run is refused with the course, the holder and what to do", async () => {
    const lake = make();
    const first = await acquireLease(lake, { task: "ingest", courseId: "ml", holder: HOLDER });
    try {
      const err = await assertRejects(
        () => acquireLease(lake, { task: "ingest", courseId: "ml", holder: OTHER }),
        LeaseHeldError,
        'Course "ml" is busy: another ingest run holds its lease (host host-a, pid 41, started 2024-01-01T00:00:00.000Z)',
      ) as LeaseHeldError;
      ok(err.message.includes("--wait SECONDS"));
      assertEquals([err.courseId, err.task, err.holder.pid], ["ml", "ingest", 41]);
      // Another task or another course is not held.
      await withLease(lake, { task: "label", courseId: "ml", holder: OTHER }, () => Promise.resolve());
      await withLease(lake, { task: "ingest", courseId: "de", holder: OTHER }, () => Promise.resolve());
    } finally {
      await first.release();
    }
    await withLease(lake, { task: "ingest", courseId: "ml", holder: OTHER }, () => Promise.resolve());
    ok((await leaseKeys(lake)).length <= 2, (await leaseKeys(lake)).join());
  });
}

Deno.test("Leases on a MemoryLake", async (t) => {
  await leaseContract(t, () => new MemoryLake());
});

Deno.test("Leases on a LocalLake", async (t) => {
  const dirs: string[] = [];
  try {
    await leaseContract(t, () => {
      const d = Deno.makeTempDirSync({ prefix: "lease-" });
      dirs.push(d);
      return new LocalLake(d);
    });
  } finally {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("Leases on S3 through s3rver, with If-None-Match on the create", async (t) => {
  const s3 = await startS3();
  try {
    let n = 0;
    await leaseContract(t, () => s3.lake(`lease-${++n}`), false);
    await t.step("the conditional header is sent", async () => {
      const lake = s3.lake("headers");
      const seen: (string | undefined)[] = [];
      lake.client.middlewareStack.add((next) => (args) => {
        const req = args.request as { method?: string; headers?: Record<string, string> };
        if (req.method === "PUT") seen.push(req.headers?.["if-none-match"]);
        return next(args);
      }, { step: "finalizeRequest", name: "recordIfNoneMatch" });
      await lake.writeIfAbsent("k.json", enc("x"));
      assertEquals(seen, ["*"]);
    });
  } finally {
    await s3.close();
  }
});

Deno.test("A lease waits, expires, renews, is lost and is released", async (t) => {
  await t.step("--wait: a second run waits for the first to release", async () => {
    const lake = new MemoryLake();
    const first = await acquireLease(lake, { task: "ingest", courseId: "ml", holder: HOLDER });
    const waits: string[] = [];
    const second = acquireLease(lake, {
      task: "ingest",
      courseId: "ml",
      holder: OTHER,
      waitMs: 60_000,
      pollMs: 5,
      onWait: (h) => waits.push(`${h.host}:${h.pid}`),
    });
    await new Promise((r) => setTimeout(r, 20));
    await first.release();
    const lease = await second;
    assertEquals(lease.generation, 3); // 1 first, 2 its release, 3 the second run
    assertEquals(waits, [`${HOLDER.host}:${HOLDER.pid}`], "the wait is announced once, naming the holder");
    await lease.release();
  });
  await t.step("a dead run's lease expires after its TTL and the next run takes it", async () => {
    const lake = new MemoryLake();
    let clock = Date.parse("2024-01-01T00:00:00Z");
    const now = () => new Date(clock);
    const dead = await acquireLease(lake, { task: "ingest", courseId: "ml", holder: HOLDER, ttlMs: 60_000, now });
    await assertRejects(
      () => acquireLease(lake, { task: "ingest", courseId: "ml", holder: OTHER, now }),
      LeaseHeldError,
      "expires at 2024-01-01T00:01:00.000Z",
    );
    clock += 61_000;
    const next = await acquireLease(lake, { task: "ingest", courseId: "ml", holder: OTHER, now });
    // The old holder learns it lost the lease at its next renewal.
    await dead.renew();
    ok(dead.signal.aborted);
    ok(dead.signal.reason instanceof LeaseLostError);
    ok((dead.signal.reason as Error).message.includes("run again once the other run is done"));
    await dead.release(); // does not free what the other run holds
    await assertRejects(
      () => acquireLease(lake, { task: "ingest", courseId: "ml", holder: HOLDER, now }),
      LeaseHeldError,
      "host host-b",
    );
    await next.release();
  });
  await t.step("a killed holder on this host is taken over at once", async () => {
    const lake = new MemoryLake();
    await acquireLease(lake, { task: "ingest", courseId: "ml", holder: HOLDER, isAlive: () => false })
      .then((l) => l.renew()); // never released, as after a kill
    const next = await acquireLease(lake, { task: "ingest", courseId: "ml", holder: OTHER, isAlive: () => false });
    await next.release();
  });
  await t.step("renewal moves the lease on and keeps it held", async () => {
    const lake = new MemoryLake();
    const lease = await acquireLease(lake, { task: "ingest", courseId: "ml", holder: HOLDER, ttlMs: 30 });
    await new Promise((r) => setTimeout(r, 80));
    ok(lease.generation > 1, `generation ${lease.generation}`);
    ok(!lease.signal.aborted);
    await assertRejects(
      () => acquireLease(lake, { task: "ingest", courseId: "ml", holder: OTHER, ttlMs: 30, isAlive: () => true }),
      LeaseHeldError,
      "busy",
    );
    await lease.release();
  });
  await t.step("withLease releases after a failure", async () => {
    const lake = new MemoryLake();
    await assertRejects(
      () => withLease(lake, { task: "label", courseId: "ml" }, () => Promise.reject(new RangeError("boom"))),
      RangeError,
      "boom",
    );
    await withLease(lake, { task: "label", courseId: "ml" }, () => Promise.resolve());
    const latest = (await leaseKeys(lake, "label")).at(-1)!;
    assertEquals(JSON.parse(dec(await lake.read(latest))).released, true);
  });
});

Deno.test("ingest refuses a course another run holds, and --wait waits for it", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lease-ingest-" });
  const config = fixture("../courses.yml");
  try {
    const lake = new LocalLake(dir);
    await lake.write(
      rawDayKey("raw/slack/ml-zoomcamp", "2024-01-15"),
      enc(JSON.stringify([{ type: "message", ts: "1705316400.000100", user: "U1", text: "How?" }])),
    );
    const held = await acquireLease(lake, { task: "ingest", courseId: "ml-zoomcamp", holder: OTHER });
    await t.step("exit 4, and the message names the course, the holder and what to do", async () => {
      const r = await capture(() => ingestMain(["--lake", dir, "--config", config, "--course", "ml-zoomcamp"]));
      assertEquals(r.code, 4, r.err);
      ok(r.err.includes('Course "ml-zoomcamp" is busy'), r.err);
      ok(r.err.includes("host host-b, pid 42"), r.err);
      ok(r.err.includes("--wait SECONDS"), r.err);
      const bronze: string[] = [];
      for await (const e of lake.list("bronze/")) bronze.push(e.key);
      assertEquals(bronze, []);
    });
    await t.step("a bad --wait is a usage error", async () => {
      const r = await capture(() => ingestMain(["--lake", dir, "--config", config, "--wait", "soon"]));
      assertEquals(r.code, 2);
      ok(r.err.includes('--wait "soon" must be a number of seconds'), r.err);
    });
    await t.step("with --wait, it runs once the lease is released", async () => {
      setTimeout(() => held.release(), 50);
      const r = await capture(() =>
        ingestMain(["--lake", dir, "--config", config, "--course", "ml-zoomcamp", "--wait", "30", "--workers", "1"])
      );
      assertEquals(r.code, 0, r.err);
      ok(await lake.stat("bronze/slack/messages/course_id=ml-zoomcamp/year=2024/month=01/day=15/part-00000.parquet"));
    });
    await t.step("two ingests at once: one does the work, the other refuses; bronze is whole", async () => {
      await lake.write(
        rawDayKey("raw/slack/ml-zoomcamp", "2024-01-16"),
        enc(JSON.stringify([{ type: "message", ts: "1705402800.000100", user: "U1", text: "Why?" }])),
      );
      const courses = [course("ml-zoomcamp")];
      let second: Promise<unknown> | undefined;
      let settled: Promise<PromiseSettledResult<unknown>[]> | undefined;
      // The second run starts while the first is working.
      const first = await ingest(lake, {
        courses,
        onProgress: () => {
          if (second) return;
          second = ingest(lake, { courses });
          settled = Promise.allSettled([second]);
        },
      });
      assertEquals(first.courses[0]!.partitionsWritten, 1);
      const [r] = await settled!;
      assertEquals(r!.status, "rejected");
      ok((r as PromiseRejectedResult).reason instanceof LeaseHeldError);
    });
    ok(
      (await leaseKeys(lake, "ingest", "ml-zoomcamp")).every((k) => k.startsWith(leasePrefix("ingest", "ml-zoomcamp"))),
    );
    assertEquals(leaseKey("ingest", "ml", 7), "_state/ingest/leases/ml/000000000007.json");
    assertEquals(leaseKey("label", "ml", 7), "_state/classify/leases/ml/000000000007.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
