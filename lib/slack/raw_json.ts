/**
 * Reads a raw Slack day file (a JSON array of messages) entry by entry, and
 * keeps going past bad input.
 *
 * A well-formed file takes the fast path: one `JSON.parse`. A file that fails it
 * (bad JSON, invalid UTF-8, a truncated end) is split into its top-level array
 * entries at the byte level, so every entry that is valid on its own is still
 * returned, and each bad one becomes a {@linkcode RawProblem} with its reason.
 * Files too large to decode at once are split the same way from a stream, so
 * memory stays bounded by the largest entry.
 *
 * @module
 */

import { redactExcerpt } from "../redact.ts";

/** One thing wrong with a raw file. */
export interface RawProblem {
  /** The 0-based array entry, or `null` for the file as a whole. */
  entry: number | null;
  /** What is wrong, in sentence case. */
  reason: string;
  /** The start of the bad entry, for the quarantine report. */
  excerpt?: string;
}

/** One array entry, parsed, or the problem that kept it from parsing. */
export type RawItem =
  | { index: number; value: unknown; problem?: undefined }
  | { index: number; value?: undefined; problem: RawProblem }
  | { index: null; value?: undefined; problem: RawProblem };

const EXCERPT = 300;
const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const lenient = new TextDecoder("utf-8", { fatal: false });

// Redacted before the cut, so a secret across it leaves no prefix in a report.
function excerptOf(bytes: Uint8Array): string {
  return redactExcerpt(lenient.decode(bytes.subarray(0, (EXCERPT + 512) * 4)), EXCERPT);
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

type State = "start" | "between" | "value" | "after" | "done" | "failed";

/**
 * Splits the bytes of a JSON array into its top-level entries, across chunk
 * boundaries, without decoding the whole text.
 */
export class JsonArraySplitter {
  #state: State = "start";
  #depth = 0;
  #inString = false;
  #escape = false;
  #parts: Uint8Array[] = [];
  #index = 0;
  #offset = 0;
  #seenBytes = false;
  #bom = 0;

  /**
   * Feeds the next chunk.
   * @param chunk Bytes of the file, in order.
   * @returns The entries and problems that the chunk completed.
   */
  push(chunk: Uint8Array): RawItem[] {
    const out: RawItem[] = [];
    let start = -1; // where the current entry starts in this chunk
    if (this.#state === "value") start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      switch (this.#state) {
        case "start": {
          if (this.#bom < 3 && b === [0xef, 0xbb, 0xbf][this.#bom]) {
            this.#bom++;
            continue;
          }
          if (WS.has(b)) continue;
          this.#seenBytes = true;
          if (b === OPEN_BRACKET) this.#state = "between";
          else {
            out.push(this.#fileProblem(
              b === OPEN_BRACE
                ? "Top level is an object, not an array of messages: a raw day file must be a JSON array"
                : "Top level is not an array of messages: a raw day file must be a JSON array",
            ));
            this.#state = "failed";
            return out;
          }
          continue;
        }
        case "between":
        case "after": {
          if (WS.has(b)) continue;
          if (b === CLOSE_BRACKET) {
            this.#state = "done";
            continue;
          }
          if (b === COMMA) {
            if (this.#state === "between") {
              out.push({
                index: this.#index,
                problem: { entry: this.#index, reason: `Entry ${this.#index} is empty (two commas in a row)` },
              });
              this.#index++;
            }
            this.#state = "between";
            continue;
          }
          if (this.#state === "after") {
            // A missing comma: treat it as the start of the next entry.
          }
          this.#state = "value";
          this.#depth = 0;
          this.#inString = false;
          this.#escape = false;
          start = i;
          i--; // re-read this byte in the value state
          continue;
        }
        case "value": {
          if (this.#inString) {
            if (this.#escape) this.#escape = false;
            else if (b === BACKSLASH) this.#escape = true;
            else if (b === QUOTE) this.#inString = false;
            continue;
          }
          if (b === QUOTE) this.#inString = true;
          else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.#depth++;
          else if ((b === CLOSE_BRACE || b === CLOSE_BRACKET) && this.#depth > 0) {
            this.#depth--;
          } else if (this.#depth === 0 && (b === COMMA || b === CLOSE_BRACKET)) {
            this.#parts.push(chunk.subarray(start, i));
            out.push(this.#finishEntry());
            this.#state = b === COMMA ? "between" : "done";
            start = -1;
          }
          continue;
        }
        case "done": {
          if (WS.has(b)) continue;
          out.push(
            this.#fileProblem(`Unexpected text after the closing "]" at byte ${this.#offset + i}; it was ignored`),
          );
          this.#state = "failed";
          return out;
        }
        case "failed":
          return out;
      }
    }
    if (this.#state === "value" && start >= 0) this.#parts.push(chunk.slice(start));
    this.#offset += chunk.length;
    return out;
  }

  /**
   * Ends the input.
   * @returns Problems with how the file ended.
   */
  end(): RawItem[] {
    switch (this.#state) {
      case "start":
        return [this.#fileProblem(
          this.#seenBytes
            ? "File is not JSON"
            : "File is empty: a raw day file must be a JSON array, [] for no messages",
        )];
      case "value": {
        const bytes = concat(this.#parts);
        this.#parts = [];
        const index = this.#index++;
        return [{
          index,
          problem: {
            entry: index,
            reason: `File ends inside entry ${index}: it looks truncated, fetch it again`,
            excerpt: excerptOf(bytes),
          },
        }];
      }
      case "between":
      case "after":
        return [this.#fileProblem('File ends before the closing "]": it looks truncated, fetch it again')];
      default:
        return [];
    }
  }

  #fileProblem(reason: string): RawItem {
    return { index: null, problem: { entry: null, reason } };
  }

  #finishEntry(): RawItem {
    const bytes = concat(this.#parts);
    this.#parts = [];
    const index = this.#index++;
    let text: string;
    try {
      text = fatal.decode(bytes);
    } catch {
      return {
        index,
        problem: { entry: index, reason: `Entry ${index} is not valid UTF-8`, excerpt: excerptOf(bytes) },
      };
    }
    try {
      return { index, value: JSON.parse(text) };
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return {
        index,
        problem: {
          entry: index,
          reason: `Entry ${index} is not valid JSON: ${msg}`,
          excerpt: redactExcerpt(text, EXCERPT),
        },
      };
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Parses a whole raw day file held in memory.
 *
 * @param bytes The file.
 * @returns Every entry in order, each a value or a problem, plus problems with
 *   the file as a whole.
 * @example
 * ```ts
 * import { parseRawDay } from "./raw_json.ts";
 * const items = parseRawDay(new TextEncoder().encode('[{"ts":"1.000001"}, 42, {"ts": oops}]'));
 * items.map((i) => i.problem?.reason ?? "ok"); // ["ok", "ok", "Entry 2 is not valid JSON: …"]
 * ```
 */
export function parseRawDay(bytes: Uint8Array): RawItem[] {
  let value: unknown;
  try {
    value = JSON.parse(fatal.decode(bytes));
  } catch {
    return splitAll(bytes);
  }
  if (!Array.isArray(value)) {
    return [{
      index: null,
      problem: {
        entry: null,
        reason: `Top level is ${kindOf(value)}, not an array of messages: a raw day file must be a JSON array`,
      },
    }];
  }
  return value.map((v, index) => ({ index, value: v }));
}

function splitAll(bytes: Uint8Array): RawItem[] {
  const splitter = new JsonArraySplitter();
  return [...splitter.push(bytes), ...splitter.end()];
}

/**
 * Parses a raw day file from a stream, entry by entry, for files too large to
 * hold as one string.
 *
 * @param stream The file's bytes.
 * @returns The entries and problems, in order.
 */
export async function* streamRawDay(stream: ReadableStream<Uint8Array>): AsyncGenerator<RawItem> {
  const splitter = new JsonArraySplitter();
  for await (const chunk of stream) yield* splitter.push(chunk);
  yield* splitter.end();
}
