import { deepEqual as assertEquals } from "node:assert/strict";
import { assertRejects, dec, enc, startS3 } from "./_helpers.ts";
import { LakeNotFoundError } from "../lib/errors.ts";
import { type Lake, LocalLake, MemoryLake, openLake } from "../lib/lake.ts";
import { S3Lake } from "../lib/lake_s3.ts";

async function keys(lake: Lake, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of lake.list(prefix)) out.push(e.key);
  return out;
}

/** The contract every Lake keeps. */
async function contract(t: Deno.TestContext, lake: Lake): Promise<void> {
  await t.step("write then read returns the bytes", async () => {
    await lake.write("raw/slack/a/x.json", enc("[1]"));
    assertEquals(dec(await lake.read("raw/slack/a/x.json")), "[1]");
  });
  await t.step("a write replaces the object whole", async () => {
    await lake.write("raw/slack/a/x.json", enc("[1,2,3]"));
    assertEquals(dec(await lake.read("raw/slack/a/x.json")), "[1,2,3]");
  });
  await t.step("list streams keys under a prefix, in order", async () => {
    await lake.write("raw/slack/a/y.json", enc("[]"));
    await lake.write("raw/slack/ab/z.json", enc("[]"));
    await lake.write("bronze/q.parquet", enc("x"));
    assertEquals(await keys(lake, "raw/slack/a/"), ["raw/slack/a/x.json", "raw/slack/a/y.json"]);
    assertEquals(await keys(lake, "raw/slack/a"), ["raw/slack/a/x.json", "raw/slack/a/y.json", "raw/slack/ab/z.json"]);
    assertEquals(await keys(lake, "nothing/"), []);
  });
  await t.step("stat gives size and a fingerprint that changes with the content", async () => {
    const before = await lake.stat("raw/slack/a/x.json");
    assertEquals(before?.size, 7);
    await lake.write("raw/slack/a/x.json", enc("[1,2,3,4]"));
    const after = await lake.stat("raw/slack/a/x.json");
    assertEquals(after?.size, 9);
    assertEquals(before?.fingerprint === after?.fingerprint, false);
    assertEquals(await lake.stat("raw/slack/a/missing.json"), undefined);
  });
  await t.step("readStream yields the same bytes", async () => {
    const chunks: Uint8Array[] = [];
    for await (const c of await lake.readStream("raw/slack/a/x.json")) chunks.push(c);
    assertEquals(dec(new Uint8Array(chunks.flatMap((c) => [...c]))), "[1,2,3,4]");
  });
  await t.step("a missing key is a LakeNotFoundError that carries the key", async () => {
    const e = await assertRejects(() => lake.read("raw/nope.json"), LakeNotFoundError, 'Lake object "raw/nope.json"');
    assertEquals((e as LakeNotFoundError).key, "raw/nope.json");
    await assertRejects(() => lake.readStream("raw/nope.json"), LakeNotFoundError, "does not exist");
  });
  await t.step("delete removes, and deleting twice is fine", async () => {
    await lake.delete("raw/slack/a/y.json");
    await lake.delete("raw/slack/a/y.json");
    assertEquals(await keys(lake, "raw/slack/a/"), ["raw/slack/a/x.json"]);
  });
  await t.step("keys that escape the lake are refused", async () => {
    await assertRejects(() => lake.write("../escape", enc("x")), TypeError, 'Lake key "../escape" is not valid');
    await assertRejects(() => lake.read("/abs"), TypeError, "is not valid");
  });
}

Deno.test("MemoryLake keeps the Lake contract", async (t) => {
  await contract(t, new MemoryLake());
});

Deno.test("LocalLake keeps the Lake contract and writes atomically", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const lake = new LocalLake(dir);
    await contract(t, lake);
    await t.step("no temporary file is left, and stray ones are not listed", async () => {
      await Deno.writeTextFile(`${dir}/raw/slack/a/.x.json.1234.tmp`, "half");
      assertEquals(await keys(lake, "raw/"), ["raw/slack/a/x.json", "raw/slack/ab/z.json"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openLake() understands paths, file:// and s3:// URLs", async (t) => {
  await t.step("paths and file URLs are local", async () => {
    assertEquals((await openLake("/tmp/lake")).url, "file:///tmp/lake");
    assertEquals((await openLake("file:///tmp/lake2")).url, "file:///tmp/lake2");
    assertEquals((await openLake("./lake", { cwd: "/srv" })).url, "file:///srv/lake");
  });
  await t.step("s3 URLs keep bucket and prefix", async () => {
    const lake = await openLake("s3://my-bucket/team/lake/") as S3Lake;
    assertEquals([lake.bucket, lake.prefix, lake.url], ["my-bucket", "team/lake/", "s3://my-bucket/team/lake"]);
    assertEquals((await openLake("s3://my-bucket") as S3Lake).prefix, "");
  });
  await t.step("wrong URLs are refused with what to pass", async () => {
    await assertRejects(() => openLake("gs://b/x"), TypeError, 'unsupported scheme "gs": use a path, file:// or s3://');
    await assertRejects(() => openLake("s3://"), TypeError, "has no valid bucket name");
    await assertRejects(() => openLake(" "), TypeError, "Lake URL is empty");
  });
});

Deno.test("S3Lake keeps the Lake contract against s3rver", async (t) => {
  const s3 = await startS3();
  try {
    await contract(t, s3.lake("team/lake"));
    await t.step("the prefix isolates lakes in one bucket", async () => {
      assertEquals(await keys(s3.lake("other/lake"), ""), []);
    });
    await t.step("large objects go up as multipart uploads", async () => {
      const lake = new S3Lake("lake", {
        endpoint: s3.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        multipartThreshold: 1024,
      });
      let multipart = 0;
      lake.client.middlewareStack.add((next, context) => (args) => {
        if (context.commandName === "UploadPartCommand") multipart++;
        return next(args);
      }, { step: "initialize", name: "countParts" });
      const big = new Uint8Array(11 * 1024 * 1024).map((_, i) => i % 251);
      await lake.write("big/object.bin", big);
      const back = await lake.read("big/object.bin");
      assertEquals(multipart, 2); // 8 MiB + 3 MiB
      assertEquals(back.length, big.length);
      assertEquals(back.every((b, i) => b === big[i]), true);
    });
  } finally {
    await s3.close();
  }
});

Deno.test("S3Lake retries throttling and 5xx responses", async () => {
  const s3 = await startS3();
  let requests = 0;
  let failed = 0;
  // A proxy that answers every other request with 503 SlowDown, then 500.
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests++;
    if (requests % 2 === 1) {
      failed++;
      const code = failed % 2 === 1 ? 503 : 500;
      await req.body?.cancel();
      return new Response(
        `<?xml version="1.0"?><Error><Code>${code === 503 ? "SlowDown" : "InternalError"}</Code></Error>`,
        { status: code, headers: { "content-type": "application/xml" } },
      );
    }
    const url = new URL(req.url);
    const target = `${s3.endpoint}${url.pathname}${url.search}`;
    const res = await fetch(target, { method: req.method, headers: req.headers, body: req.body });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  try {
    const lake = new S3Lake("lake", {
      endpoint: `http://127.0.0.1:${proxy.addr.port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      maxAttempts: 4,
    });
    await lake.write("retry/x.json", enc("[42]"));
    assertEquals(dec(await lake.read("retry/x.json")), "[42]");
    assertEquals(await keys(lake, "retry/"), ["retry/x.json"]);
    assertEquals(failed >= 3, true);
  } finally {
    await proxy.shutdown();
    await s3.close();
  }
});
