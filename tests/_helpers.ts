// Shared test helpers: fixtures, lakes, and an s3rver on loopback.
import { AssertionError } from "node:assert/strict";
import S3rver from "s3rver";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { Course } from "../lib/config.ts";
import type { Lake } from "../lib/lake.ts";
import { S3Lake } from "../lib/lake_s3.ts";
import { coursePrefix, defaultRawPrefix } from "../lib/layout.ts";
import { BRONZE_COLUMNS, readParquetRows } from "../lib/parquet.ts";
import type { BronzeRow } from "../lib/slack/message.ts";

export const FIXTURES = fileURLToPath(new URL("../fixtures/", import.meta.url));

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts);
}

export function course(id: string, extra: Partial<Course> = {}): Course {
  return { id, channelId: null, channel: null, rawPrefix: defaultRawPrefix(id), rawIsUrl: false, faq: null, ...extra };
}

/** Copies a fixture folder into the lake under `destPrefix`, keeping relative paths. */
export async function copyFixtures(lake: Lake, fixtureDir: string, destPrefix: string): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (dir: string, rel: string) => {
    const entries = [...Deno.readDirSync(dir)].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(path.join(dir, e.name), r);
      else {
        const key = `${destPrefix}/${r}`;
        await lake.write(key, await Deno.readFile(path.join(dir, e.name)));
        keys.push(key);
      }
    }
  };
  await walk(fixture(fixtureDir), "");
  return keys;
}

/** Copies the fixture raw tree of the two courses into the lake. */
export async function seedRaw(lake: Lake): Promise<void> {
  await copyFixtures(lake, "raw/ml-zoomcamp", "raw/slack/ml-zoomcamp");
  await copyFixtures(lake, "raw/de-zoomcamp", "raw/slack/de-zoomcamp");
}

/** Every bronze row of a course, read back from its Parquet files. */
export async function readBronze(lake: Lake, courseId: string): Promise<BronzeRow[]> {
  const rows: BronzeRow[] = [];
  for await (const e of lake.list(coursePrefix("bronze", courseId))) {
    if (e.key.endsWith(".parquet")) rows.push(...readParquetRows<BronzeRow>(BRONZE_COLUMNS, await lake.read(e.key)));
  }
  return rows;
}

/** Every object of the lake under a prefix, as key -> bytes. */
export async function snapshot(lake: Lake, prefix = ""): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for await (const e of lake.list(prefix)) out.set(e.key, await lake.read(e.key));
  return out;
}

export interface S3Server {
  endpoint: string;
  lake(prefix?: string, bucket?: string): S3Lake;
  close(): Promise<void>;
}

/** Starts s3rver on loopback with a `lake` bucket. */
export async function startS3(): Promise<S3Server> {
  const dir = await Deno.makeTempDir({ prefix: "s3rver-" });
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: dir,
    configureBuckets: [{ name: "lake", configs: [] }, { name: "other", configs: [] }],
  });
  const addr = await server.run() as { port: number };
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return {
    endpoint,
    lake: (prefix = "", bucket = "lake") =>
      new S3Lake(bucket, {
        prefix,
        endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        maxAttempts: 3,
      }),
    close: async () => {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

/** Asserts that `fn` throws an instance of `cls` whose message includes `text`. */
export function assertThrows(fn: () => unknown, cls: ErrorClass, text: string): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  return checkError(caught, cls, text);
}

/** Asserts that `fn` rejects with an instance of `cls` whose message includes `text`. */
export async function assertRejects(fn: () => Promise<unknown>, cls: ErrorClass, text: string): Promise<Error> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  return checkError(caught, cls, text);
}

function checkError(caught: unknown, cls: ErrorClass, text: string): Error {
  if (caught === undefined) throw new AssertionError({ message: `Expected ${cls.name}, but nothing was thrown` });
  if (!(caught instanceof cls)) {
    throw new AssertionError({
      message: `Expected ${cls.name}, got ${(caught as Error)?.name}: ${(caught as Error)?.message}`,
    });
  }
  if (!caught.message.includes(text)) {
    throw new AssertionError({ message: `Expected message to include "${text}", got "${caught.message}"` });
  }
  return caught;
}

/** Runs `fn` with console.log and console.error captured. */
export async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.map(String).join(" "));
  console.error = (...a: unknown[]) => err.push(a.map(String).join(" "));
  try {
    const code = await fn();
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** Sets environment variables for the duration of `fn`; `undefined` removes one. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  for (const [k, v] of Object.entries(vars)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

export type LlmBehaviour = (body: { messages: { role: string; content: string }[] }, attempt: number) =>
  | { status: number; content?: string; body?: string; delayMs?: number }
  | undefined;

/** One chat completions request as the stand-in received it. */
export interface LlmRequest {
  /** The request body, parsed. */
  body: {
    model?: string;
    messages: { role: string; content: string }[];
    response_format?: { type: string };
    temperature?: number;
  };
  /** The request body exactly as sent. */
  raw: string;
  /** The request path. */
  path: string;
}

export interface FakeLlm {
  baseURL: string;
  /** User messages received, in order. */
  received: string[];
  /** Every request, body and all, retries included. */
  log: LlmRequest[];
  /** Requests received, retries included. */
  requests: number;
  close(): Promise<void>;
}

/** An OpenAI-compatible chat completions server on loopback, answering as `behave` says. */
export function startFakeLlm(behave: LlmBehaviour): FakeLlm {
  const state = { received: [] as string[], requests: 0, log: [] as LlmRequest[] };
  const attempts = new Map<string, number>();
  const pending = new Set<() => void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    state.requests++;
    const raw = await req.text();
    const body = JSON.parse(raw);
    state.log.push({ body, raw, path: new URL(req.url).pathname });
    const user = body.messages.find((m: { role: string }) => m.role === "user")?.content ?? "";
    const attempt = (attempts.get(user) ?? 0) + 1;
    attempts.set(user, attempt);
    state.received.push(user);
    const r = behave(body, attempt) ?? { status: 200, content: '{"is_faq": true, "confidence": 0.9, "reason": "ok"}' };
    if (r.delayMs) {
      await new Promise<void>((res) => {
        const id = setTimeout(done, r.delayMs);
        function done() {
          clearTimeout(id);
          pending.delete(done);
          res();
        }
        pending.add(done);
      });
    }
    if (r.status !== 200) {
      return new Response(r.body ?? JSON.stringify({ error: { message: "nope", type: "server_error" } }), {
        status: r.status,
        headers: { "content-type": "application/json", "retry-after-ms": "10" },
      });
    }
    return Response.json({
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 0,
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content: r.content }, finish_reason: "stop" }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  });
  return {
    baseURL: `http://127.0.0.1:${server.addr.port}/v1`,
    get received() {
      return state.received;
    },
    get requests() {
      return state.requests;
    },
    get log() {
      return state.log;
    },
    close: async () => {
      for (const done of [...pending]) done();
      await server.shutdown();
    },
  };
}

/**
 * Asserts that every request the stand-in received is what the LLM fallback must
 * send: the chat completions path, the model, temperature 0, JSON mode, the
 * system prompt with the FAQ definition first, then one user message.
 */
export function assertChatRequests(llm: FakeLlm, model: string, faqDefinition: string): void {
  if (llm.log.length === 0) throw new AssertionError({ message: "The LLM stand-in received no request" });
  for (const r of llm.log) {
    const { body } = r;
    const problems = [
      r.path === "/v1/chat/completions" ? "" : `path ${r.path}`,
      body.model === model ? "" : `model ${body.model}`,
      body.temperature === 0 ? "" : `temperature ${body.temperature}`,
      body.response_format?.type === "json_object" ? "" : "no JSON mode (response_format)",
      body.messages.length === 2 ? "" : `${body.messages.length} messages`,
      body.messages[0]?.role === "system" && body.messages[0].content.includes(faqDefinition) &&
        /reply with a json object/i.test(body.messages[0].content)
        ? ""
        : "no system prompt with the FAQ definition",
      body.messages[1]?.role === "user" && body.messages[1].content.length > 0 ? "" : "no user message",
    ].filter(Boolean);
    if (problems.length) throw new AssertionError({ message: `LLM request is wrong: ${problems.join(", ")}` });
  }
}
