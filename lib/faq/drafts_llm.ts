/**
 * The LLM that writes an FAQ answer from the replies of a group's threads, on
 * the classifier's plumbing: the same OpenAI-compatible client settings, the
 * same redaction before any text leaves the machine, answers cached in the
 * lake, and a cap on requests per run. A failure never fails the run: the
 * draft keeps the best reply verbatim.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type OpenAI from "openai";
import type { Lake } from "../lake.ts";
import { STATE_ROOT } from "../layout.ts";
import { openAiClient, redactForLlm } from "../classify/llm.ts";
import type { DraftAnswer, DraftRequest } from "./drafts.ts";

/** Bumped whenever the prompt changes, so cached answers of an old prompt are not reused. */
export const DRAFT_PROMPT_VERSION = "faq-draft-1";

const SYSTEM =
  `You write one entry of a course FAQ from a Slack discussion. You get the students' questions (all asking the same thing) and replies from the course channel. Write a short general question title and an answer in Markdown that a new student can follow, using only facts stated in the replies. Keep commands and code in code blocks. Do not mention people. Reply with a JSON object only: {"question": "...", "answer": "..."}`;

/** Options of {@linkcode DraftWriter}. */
export interface DraftWriterOptions {
  /** The API key. */
  apiKey: string;
  /** The model. */
  model: string;
  /**
   * An OpenAI-compatible endpoint.
   * @default {undefined} OpenAI's
   */
  baseURL?: string;
  /**
   * Requests per run at most.
   * @default {50}
   */
  maxCalls?: number;
  /**
   * Retries of a 429, a 5xx or a timeout.
   * @default {3}
   */
  maxRetries?: number;
  /**
   * Per-request timeout in milliseconds.
   * @default {60000}
   */
  timeoutMs?: number;
  /**
   * Where answers are cached.
   * @default {undefined} no cache
   */
  cache?: Lake;
}

/** Writes FAQ answers with an LLM, cached and capped. */
export class DraftWriter {
  /** The model asked. */
  readonly model: string;
  /** Requests made. */
  calls = 0;
  /** Answers served from the cache. */
  cacheHits = 0;
  /** Requests that failed; those drafts kept the reply verbatim. */
  failed = 0;
  /** Drafts past the cap; they kept the reply verbatim. */
  capped = 0;
  #client: OpenAI;
  #options: DraftWriterOptions;

  /** @param options The endpoint, key, model, cap and cache. */
  constructor(options: DraftWriterOptions) {
    this.model = options.model;
    this.#options = options;
    this.#client = openAiClient({ ...options, timeoutMs: options.timeoutMs ?? 60_000 });
  }

  /**
   * Writes one answer.
   *
   * @param request The questions and replies.
   * @returns The answer, or `undefined` when capped or failed.
   */
  async write(request: DraftRequest): Promise<DraftAnswer | undefined> {
    const user = [
      "Questions:",
      ...request.questions.map((q, i) => `${i + 1}. ${redactForLlm(q).slice(0, 1500)}`),
      "",
      "Replies, best first:",
      ...request.replies.map((r, i) => `${i + 1}. ${redactForLlm(r).slice(0, 3000)}`),
    ].join("\n");
    const h = createHash("sha256").update(`${this.model}\n${DRAFT_PROMPT_VERSION}\n${user}`).digest("hex");
    const key = `${STATE_ROOT}/faq/draft_llm_cache/${h.slice(0, 2)}/${h}.json`;
    const cache = this.#options.cache;
    if (cache && (await cache.stat(key))) {
      const cached = parseDraftAnswer(new TextDecoder().decode(await cache.read(key)));
      if (cached) {
        this.cacheHits++;
        return cached;
      }
    }
    if (this.calls >= (this.#options.maxCalls ?? 50)) {
      this.capped++;
      return undefined;
    }
    this.calls++;
    let answer: DraftAnswer | undefined;
    try {
      const reply = await this.#client.chat.completions.create({
        model: this.model,
        temperature: 0,
        response_format: { type: "json_object" },
        messages: [{ role: "system", content: SYSTEM }, { role: "user", content: user }],
      });
      answer = parseDraftAnswer(reply.choices?.[0]?.message?.content ?? "");
    } catch {
      answer = undefined;
    }
    if (!answer) {
      this.failed++;
      return undefined;
    }
    if (cache) {
      await cache.write(key, new TextEncoder().encode(JSON.stringify(answer)), { contentType: "application/json" });
    }
    return answer;
  }
}

/**
 * Checks an LLM reply against the draft's shape.
 *
 * @param content The reply's text.
 * @returns The answer, or `undefined` when it is not JSON with a non-empty `answer`.
 */
export function parseDraftAnswer(content: string): DraftAnswer | undefined {
  try {
    const v = JSON.parse(content.trim().replace(/^```(?:json)?\s*|\s*```$/g, ""));
    if (typeof v?.answer !== "string" || v.answer.trim() === "") return undefined;
    return { question: typeof v.question === "string" ? v.question : "", answer: v.answer.slice(0, 8000) };
  } catch {
    return undefined;
  }
}
