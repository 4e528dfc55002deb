import { deepEqual as assertEquals } from "node:assert/strict";
import { enc, fixture } from "../_helpers.ts";
import { JsonArraySplitter, parseRawDay, type RawItem, streamRawDay } from "../../lib/slack/raw_json.ts";

const bad = (name: string) => Deno.readFileSync(fixture("bad", name));
const values = (items: RawItem[]) => items.filter((i) => !i.problem).map((i) => i.value);
const reasons = (items: RawItem[]) => items.filter((i) => i.problem).map((i) => i.problem!.reason);

Deno.test({
  name: "parseRawDay() keeps valid entries of a bad file and names what is wrong",
  permissions: { read: true },
}, async (t) => {
  await t.step("malformed JSON in one entry", () => {
    const items = parseRawDay(bad("bad_json.json"));
    assertEquals(values(items).map((v) => (v as { text: string }).text), ["ok one", "ok two"]);
    assertEquals(reasons(items).length, 1);
    assertEquals(reasons(items)[0]!.startsWith("Entry 1 is not valid JSON"), true);
  });
  await t.step("a top level that is not an array", () => {
    const items = parseRawDay(bad("not_array.json"));
    assertEquals(values(items), []);
    assertEquals(reasons(items), [
      "Top level is an object, not an array of messages: a raw day file must be a JSON array",
    ]);
    assertEquals(items[0]!.index, null);
  });
  await t.step("entries that are not objects are returned for the caller to judge", () => {
    assertEquals(values(parseRawDay(bad("not_objects.json"))).length, 5);
  });
  await t.step("invalid UTF-8 only costs the entry that holds it", () => {
    const items = parseRawDay(bad("invalid_utf8.json"));
    assertEquals(values(items).map((v) => (v as { text: string }).text), ["valid utf-8 café"]);
    assertEquals(reasons(items), ["Entry 0 is not valid UTF-8"]);
  });
  await t.step("an empty file", () => {
    assertEquals(reasons(parseRawDay(bad("empty.json"))), [
      "File is empty: a raw day file must be a JSON array, [] for no messages",
    ]);
    assertEquals(reasons(parseRawDay(enc("  \n"))), [
      "File is empty: a raw day file must be a JSON array, [] for no messages",
    ]);
  });
  await t.step("a truncated file keeps its complete entries", () => {
    const items = parseRawDay(bad("truncated.json"));
    assertEquals(values(items).map((v) => (v as { text: string }).text), ["complete"]);
    assertEquals(reasons(items), ["File ends inside entry 1: it looks truncated, fetch it again"]);
  });
  await t.step("an empty array is fine, and a BOM is skipped", () => {
    assertEquals(parseRawDay(enc("[]")), []);
    assertEquals(values(parseRawDay(enc('\ufeff[{"ts":"1.000001"}]'))), [{ ts: "1.000001" }]);
    assertEquals(values(parseRawDay(new Uint8Array([0xef, 0xbb, 0xbf, ...enc('[{"ts":"1.1"}, oops]')]))), [
      { ts: "1.1" },
    ]);
  });
  await t.step("text after the closing bracket is reported", () => {
    const items = parseRawDay(enc('[{"ts":"1.1"}] trailing'));
    assertEquals(values(items), [{ ts: "1.1" }]);
    assertEquals(reasons(items), ['Unexpected text after the closing "]" at byte 15; it was ignored']);
  });
});

Deno.test(
  { name: "JsonArraySplitter finds the same entries whatever the chunk size", permissions: { read: true } },
  async (t) => {
    const doc = enc(
      '[ {"a":"x,]}\\"y","b":[1,{"c":"]"}]}, "str\\\\", 12.5e3, null, {"emoji":"🎉 naïve"}, [1,[2]] ]',
    );
    const whole = JSON.parse(new TextDecoder().decode(doc));
    for (const size of [1, 2, 3, 7, 64, doc.length]) {
      await t.step(`chunks of ${size} bytes`, () => {
        const s = new JsonArraySplitter();
        const items: RawItem[] = [];
        for (let i = 0; i < doc.length; i += size) items.push(...s.push(doc.slice(i, i + size)));
        items.push(...s.end());
        assertEquals(values(items), whole);
      });
    }
    await t.step("streamRawDay() reads a stream the same way", async () => {
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < doc.length; i += 5) c.enqueue(doc.slice(i, i + 5));
          c.close();
        },
      });
      const items: RawItem[] = [];
      for await (const item of streamRawDay(stream)) items.push(item);
      assertEquals(values(items), whole);
    });
  },
);
